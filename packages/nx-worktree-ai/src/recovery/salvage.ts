import { copyFileSync, existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { globMatcher } from '../batch/paths';
import { addAll, diffTrees } from '../worktree/changes';
import { git, splitNul, PLUGIN_IDENTITY } from '../worktree/git';
import { recordPluginWrites, refWrite } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import { tempIndexPath } from '../worktree/runs';
import { revParse } from '../worktree/tree';
import { worktreeGitDir, type Worktree } from '../worktree/worktree';

/**
 * Keeping what a worktree holds beyond its HEAD when it is removed without the run that made it
 * (a killed run, a worktree kept with `keepWorktree`): committed onto its batch branch, or beside
 * it as `ai-kept/...-interrupted`. Such a branch is offered to the user to merge, so it must only
 * ever change the batch's outputs: never delete what a sparse checkout did not write to disk, never
 * carry what the plugin put there (node_modules, copied .env files) or anything outside the outputs.
 */
export interface SalvageScope {
  /** Output globs of the batch (workspace-relative); null when unknown (a worktree of an older version). */
  outputs: string[] | null;
  /** Worktree-relative paths the plugin put there. */
  prepared: string[];
}

export interface Salvaged {
  label: string;
  branch: string;
  commit: string;
  /** Changed paths outside the batch's outputs: not carried onto the kept branch. */
  leftOut: string[];
}

/** Kept in the worktree's git dir (it goes with the worktree), for a prune long after the run. */
const SCOPE_FILE = 'nx-worktree-ai-scope.json';

export function rememberScope(worktree: Pick<Worktree, 'gitDir'>, scope: SalvageScope): void {
  if (!worktree.gitDir) return;
  try {
    writeFileSync(join(worktree.gitDir, SCOPE_FILE), `${JSON.stringify(scope)}\n`);
  } catch {
    // Without it a later salvage still never deletes what was not checked out; it only keeps more.
  }
}

export function readScope(gitDir: string | null): SalvageScope | null {
  if (!gitDir) return null;
  try {
    const scope = JSON.parse(readFileSync(join(gitDir, SCOPE_FILE), 'utf8')) as Partial<SalvageScope>;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
    return strings(scope.outputs) && strings(scope.prepared) ? { outputs: scope.outputs, prepared: scope.prepared } : null;
  } catch {
    return null;
  }
}

/**
 * Commits what the worktree at `dir` holds beyond its HEAD, within `scope` (null: the scope the
 * run left in the worktree's git dir); returns where it is kept, or null when there is nothing to keep.
 */
export async function salvageWorktree(repo: RepoInfo, dir: string, branch: string | null, label: string, scope: SalvageScope | null, dryRun = false): Promise<Salvaged | null> {
  if (!existsSync(dir)) return null;
  // The git dir as the repository registered it, not the worktree's `.git` file (an agent may have
  // rewritten it to point these commands at a repository and config of its own), and no fsmonitor.
  const gitDir = worktreeGitDir(repo, dir);
  const location: Record<string, string> = gitDir ? { GIT_DIR: gitDir, GIT_WORK_TREE: dir } : {};
  const { outputs, prepared } = scope ?? readScope(gitDir) ?? { outputs: null, prepared: [] };
  let head: string;
  try {
    head = await git(dir, ['rev-parse', '--verify', 'HEAD^{commit}'], { env: location });
  } catch {
    return null;
  }
  const indexFile = tempIndexPath(repo, 'salvage');
  const env = { ...PLUGIN_IDENTITY, ...location, GIT_INDEX_FILE: indexFile };
  try {
    // Start from the worktree's own index: it carries the skip-worktree bits of a sparse checkout,
    // so `add -A` leaves the paths it never wrote to disk alone instead of staging them as deleted.
    const own = gitDir ? join(gitDir, 'index') : null;
    const ownIndex = !!own && existsSync(own);
    if (ownIndex) copyFileSync(own!, indexFile);
    else await git(dir, ['read-tree', head], { env });
    const isOutput = outputs ? globMatcher(outputs) : () => true;
    const skipped = ownIndex ? await skipWorktreePaths(dir, env) : new Set<string>();
    // Outputs written where the sparse checkout put nothing: collected like any other change.
    const written = new Set([...skipped].filter((path) => isOutput(path) && exists(join(dir, path))));
    if (written.size) await git(dir, ['update-index', '-z', '--no-skip-worktree', '--stdin'], { env, input: `${[...written].join('\0')}\0` });
    await addAll(dir, env);
    let tree = await git(dir, ['write-tree'], { env });
    const { files } = await diffTrees(repo.root, head, tree);
    const isPrepared = (path: string) => path === 'node_modules' || prepared.some((p) => path === p || path.startsWith(`${p}/`));
    const unwritten = (path: string) => skipped.has(path) && !written.has(path);
    const leftOut: string[] = [];
    const revert: string[] = [];
    for (const f of files) {
      // Not the agent's: what the plugin put there, what the checkout never wrote to disk, and any
      // deletion when the checkout did not finish (no index of its own).
      if (isPrepared(f.path) || unwritten(f.path) || (!ownIndex && f.status === 'deleted')) {
        revert.push(f.path);
      } else if (!isOutput(f.path)) {
        revert.push(f.path);
        leftOut.push(f.path);
      }
    }
    if (revert.length) {
      await git(dir, ['reset', '-q', head, '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: `${revert.map((p) => `:(top,literal)${p}`).join('\0')}\0` });
      tree = await git(dir, ['write-tree'], { env });
    }
    if (tree === (await git(dir, ['rev-parse', `${head}^{tree}`], { env: location }))) return null;
    const keptName = `ai-kept/${(branch ?? `ai/${label.replace(':', '/')}`).replace(/^ai\//, '')}/${stamp()}-interrupted`;
    const tip = branch ? await revParse(repo.root, `refs/heads/${branch}`) : null;
    const target = branch && tip === head ? branch : keptName;
    if (dryRun) return { label, branch: target, commit: tree, leftOut };
    const outside = leftOut.length ? `\n\nNot kept (outside the batch's outputs): ${leftOut.slice(0, 20).join(', ')}${leftOut.length > 20 ? ` and ${leftOut.length - 20} more` : ''}` : '';
    const message = `${label}: unfinished work of an interrupted run${outside}\n\nNx-Worktree-Ai-Batch: ${label}\nNx-Worktree-Ai-Status: interrupted\n`;
    const commit = await git(repo.root, ['commit-tree', tree, '-p', head], { env: PLUGIN_IDENTITY, input: message });
    recordPluginWrites(repo, [refWrite(`refs/heads/${target}`, commit)]);
    await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: work of an interrupted run', `refs/heads/${target}`, commit, target === branch ? head : '']);
    return { label, branch: target, commit, leftOut };
  } finally {
    rmSync(indexFile, { force: true });
  }
}

/** Paths with the skip-worktree bit in an index (what a sparse checkout did not write to disk). */
async function skipWorktreePaths(dir: string, env: Record<string, string>): Promise<Set<string>> {
  const entries = splitNul(await git(dir, ['ls-files', '-t', '-z'], { env }));
  return new Set(entries.filter((e) => e.startsWith('S ')).map((e) => e.slice(2)));
}

/** The line a salvage's caller prints about what it did not keep. */
export function leftOutLine(saved: Salvaged): string | null {
  if (!saved.leftOut.length) return null;
  const shown = saved.leftOut.slice(0, 10).join(', ') + (saved.leftOut.length > 10 ? ` and ${saved.leftOut.length - 10} more` : '');
  return `not carried onto ${saved.branch}: ${saved.leftOut.length} changed path(s) outside the batch's outputs (${shown})`;
}

function stamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
