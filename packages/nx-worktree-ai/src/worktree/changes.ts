import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRaw, GitError, splitNul, PLUGIN_IDENTITY } from './git';
import type { Worktree } from './worktree';
import { writtenOutsideCone } from './sparse';
import type { RepoInfo } from './repo';
import { recordPluginWrites, refWrite } from './plugin-writes';
import { tempIndexPath } from './runs';
import type { TreeEntry, TreeFiles } from './tree';
import { adoptAgentObjects } from '../sandbox/objects';
import { PRIVATE_DIR } from '../sandbox/policy';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'type-changed';

export interface FileChange {
  path: string;
  status: ChangeStatus;
}

/** Everything the agent changed in its worktree, as a tree relative to the snapshot it started from. */
export interface CollectedChange {
  tree: string;
  files: FileChange[];
  /** The changed paths' entries in `tree` (null: deleted); with the snapshot's files, the whole tree. */
  entries: Map<string, TreeEntry | null>;
  insertions: number;
  deletions: number;
}

const STATUS: Record<string, ChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', T: 'type-changed' };

/**
 * Stages everything in the worktree (tracked, untracked, deletions; ignored files are not the
 * agent's deliverable) into a private index, so the worktree's own index is left as the agent left it.
 */
export async function collectChanges(repo: RepoInfo, worktree: Worktree, snapshot: string): Promise<CollectedChange> {
  // A confined agent's git wrote its objects to a store of its own (sandbox/policy.ts): they join the
  // repository's first, or its index and its commits would name objects the repository lacks.
  if (worktree.gitDir) adoptAgentObjects(join(worktree.gitDir, PRIVATE_DIR, 'objects'), join(repo.commonDir, 'objects'));
  const indexFile = tempIndexPath(repo, 'collect');
  // The git dir recorded at creation, never the worktree's `.git` file (the agent could have rewritten
  // it), and no fsmonitor hook: nothing the agent wrote may make these commands run a program.
  const location: Record<string, string> = worktree.gitDir ? { GIT_DIR: worktree.gitDir, GIT_WORK_TREE: worktree.dir } : {};
  const env = { ...PLUGIN_IDENTITY, ...location, GIT_INDEX_FILE: indexFile };
  try {
    // Start from the worktree's own index: its stat data spares hashing every file again, and in a
    // sparse worktree it carries the skip-worktree bits. `add -A` then makes it the working tree.
    const own = worktree.gitDir ? join(worktree.gitDir, 'index') : null;
    if (own && existsSync(own)) copyFileSync(own, indexFile);
    else await git(worktree.dir, ['read-tree', snapshot], { env });
    await addAll(worktree.dir, env);
    if (worktree.cone) {
      const written = await writtenOutsideCone(worktree.dir, worktree.cone, env);
      if (written.length) {
        await git(worktree.dir, ['update-index', '-z', '--no-skip-worktree', '--stdin'], { env, input: `${written.join('\0')}\0` });
        await addAll(worktree.dir, env);
      }
    }
    let tree = await git(worktree.dir, ['write-tree'], { env });
    let diff = await diffTrees(repo.root, snapshot, tree);
    // What the plugin put there (node_modules, copied .env, what setupCommand made) is not the agent's change.
    const isPrepared = (path: string) => worktree.prepared.some((p) => path === p || path.startsWith(`${p}/`));
    if (diff.files.some((f) => isPrepared(f.path))) {
      await git(worktree.dir, ['reset', '-q', snapshot, '--', ...worktree.prepared.map((p) => `:(top,literal)${p}`)], { env });
      tree = await git(worktree.dir, ['write-tree'], { env });
      diff = await diffTrees(repo.root, snapshot, tree);
    }
    return { tree, ...diff };
  } finally {
    rmSync(indexFile, { force: true });
  }
}

/** Paths that differ from the checkout right now (tracked or not, not ignored): what a setup step changed. */
export async function changedSinceCheckout(worktree: Worktree): Promise<string[]> {
  const out = await git(worktree.dir, ['status', '--porcelain=v1', '-z', '-uall', '--no-renames']);
  return splitNul(out).map((entry) => entry.slice(3));
}

/**
 * `git add -A` of a worktree into the index named by `env`, without fsmonitor. A nested repository
 * without a commit (an agent that ran `git init` in a subfolder) makes `git add` fail outright;
 * such folders are left out, so the rest of the work is still collected. Returns what was left out.
 */
export async function addAll(cwd: string, env: Record<string, string | undefined>): Promise<string[]> {
  const skipped: string[] = [];
  for (;;) {
    try {
      await git(cwd, ['-c', 'core.fsmonitor=false', 'add', '-A', '--', '.', ...skipped.map((p) => `:(exclude,literal)${p}`)], { env });
      return skipped;
    } catch (error) {
      const nested = error instanceof GitError ? /error: '(.+?)\/?' does not have a commit checked out/.exec(error.stderr)?.[1] : undefined;
      if (!nested || skipped.includes(nested) || skipped.length >= 100) throw error;
      skipped.push(nested);
    }
  }
}

/**
 * What differs between two trees, in one `diff-tree` (`--raw` for status, mode and blob id, with
 * `--numstat` for the line counts; binary files count no lines).
 */
export async function diffTrees(repoRoot: string, from: string, to: string): Promise<Omit<CollectedChange, 'tree'>> {
  const parts = splitNul(await git(repoRoot, ['diff-tree', '-r', '-z', '--no-renames', '--raw', '--numstat', from, to]));
  const files: FileChange[] = [];
  const entries = new Map<string, TreeEntry | null>();
  let insertions = 0;
  let deletions = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(':')) {
      // :<old mode> <new mode> <old oid> <new oid> <status>, then the path
      const [, mode, , oid, status] = parts[i].slice(1).split(' ');
      const path = parts[++i];
      files.push({ status: STATUS[status[0]] ?? 'modified', path });
      // A submodule (gitlink) is no file of the tree, as in listTree.
      entries.set(path, status[0] === 'D' || mode === '160000' ? null : { mode, oid });
    } else {
      // <added>\t<deleted>\t<path>
      const [added, removed] = parts[i].split('\t');
      if (/^\d+$/.test(added)) insertions += Number(added);
      if (/^\d+$/.test(removed)) deletions += Number(removed);
    }
  }
  return { files, entries, insertions, deletions };
}

/** The files of a tree from the files of its base and a change's entries (no `ls-tree` of the result). */
export function applyEntries(base: TreeFiles, entries: Map<string, TreeEntry | null>): TreeFiles {
  const files: TreeFiles = new Map(base);
  for (const [path, entry] of entries) {
    if (entry) files.set(path, entry);
    else files.delete(path);
  }
  return files;
}

/**
 * The change as a binary patch: what every integration applies (integrate/plan.ts). Plumbing
 * (diff-tree) so that no user diff setting (prefixes, textconv, external diff, colour) reaches
 * it, the same bytes for the same change; `--full-index` puts the whole pre-image and post-image
 * blob ids on each file's index line, which is how a workspace file is told apart as the batch's
 * base, its result or the user's.
 */
export async function diffPatch(repoRoot: string, from: string, to: string): Promise<string> {
  const { stdout } = await gitRaw(repoRoot, ['-c', 'core.quotePath=true', 'diff-tree', '-r', '-p', '--binary', '--full-index', '--no-renames', '--no-color', '--no-commit-id', from, to]);
  return stdout.toString('utf8');
}

export interface CommitTrailers {
  [key: string]: string | number | null;
}

/** Commits `tree` on top of `parent` with trailers, and points `branch` at it. */
export async function commitOnBranch(
  repo: RepoInfo,
  branch: string,
  tree: string,
  parent: string,
  subject: string,
  trailers: CommitTrailers,
): Promise<string> {
  const lines = Object.entries(trailers)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}: ${v}`);
  const message = `${subject}\n\n${lines.join('\n')}\n`;
  const commit = await git(repo.root, ['commit-tree', tree, '-p', parent], { env: PLUGIN_IDENTITY, input: message });
  recordPluginWrites(repo, [refWrite(`refs/heads/${branch}`, commit)]);
  await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: batch result', `refs/heads/${branch}`, commit]);
  return commit;
}
