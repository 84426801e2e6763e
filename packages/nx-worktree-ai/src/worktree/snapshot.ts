import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git, PLUGIN_IDENTITY } from './git';
import type { RepoInfo } from './repo';
import { ARTIFACTS_DIR } from '../plugin/paths';
import { pluginDir, processStart, tempIndexPath } from './runs';
import { pluginWritesSince } from './plugin-writes';
import { nxProcessPid } from '../utils/nx-process';
import { listTree, type TreeFiles } from './tree';

/** Subject of every snapshot commit (worktree/branch.ts tells a bare snapshot from agent work by it). */
export const SNAPSHOT_SUBJECT = 'nx-worktree-ai snapshot';

/**
 * Commits the workspace as it is (tracked and untracked, not ignored) on top of HEAD, without
 * touching the user's index, HEAD or files: `git add -A` runs against a private copy of the index
 * (copying it keeps git's stat cache, so only changed files are hashed again).
 */
export async function snapshotWorkspace(repo: RepoInfo, message = SNAPSHOT_SUBJECT): Promise<string> {
  return (await snapshotWithFiles(repo, message)).commit;
}

/**
 * Batches started together by one Nx command (`nx run-many` starts them within a second or two)
 * share one snapshot: one taken by the same Nx process less than this long ago is reused when HEAD
 * is the same and no batch has written to the workspace since (worktree/plugin-writes.ts). That is
 * the workspace as the later batch would have seen it had it started that much earlier, and it
 * spares every batch but the first the scan of the workspace, which they would otherwise take turns
 * at under the workspace lock. The next Nx command takes a fresh one, so an edit made before it
 * is always seen.
 */
export const SHARED_SNAPSHOT_MS = 5_000;

interface LastSnapshot {
  commit: string;
  head: string;
  /** When it was begun (ms). */
  at: number;
  /** The Nx command whose tasks may share it. */
  run: string;
}

/**
 * The Nx command this task belongs to: the nx process that forked it (utils/nx-process.ts), with
 * its start time against pid reuse. null outside an Nx task: no sharing.
 */
export function nxRunId(env: NodeJS.ProcessEnv = process.env): string | null {
  const pid = env.NX_TASK_HASH ? nxProcessPid(env) : null;
  const start = pid === null ? null : processStart(pid);
  return start ? `${pid}@${start}` : null;
}

export interface Snapshot {
  commit: string;
  files: TreeFiles;
  /** Reused from a batch started together (SHARED_SNAPSHOT_MS). */
  shared: boolean;
}

/** A snapshot chosen under the workspace lock, its files still being listed (sharedSnapshot). */
export type PendingSnapshot = Omit<Snapshot, 'files'> & { files: Promise<TreeFiles> };

/**
 * Call under the workspace lock. A shared snapshot's files are listed after the caller releases
 * it (`files`, pending: a commit never changes), so batches started together do not list them in
 * turn; a listing that fails (the commit gone, `git gc --prune=now` meanwhile) is an error then.
 */
export async function sharedSnapshot(repo: RepoInfo, run = nxRunId(), now = Date.now()): Promise<PendingSnapshot> {
  const stateFile = join(pluginDir(repo), 'last-snapshot.json');
  const last = run ? readLastSnapshot(stateFile) : null;
  const fresh = !!last && last.run === run && last.head === repo.head && now - last.at >= 0 && now - last.at <= SHARED_SNAPSHOT_MS;
  if (last && fresh && !pluginWritesSince(repo, last.at).some((w) => w.kind === 'file')) {
    const files = listTree(repo.root, last.commit);
    files.catch(() => undefined); // awaited by the caller
    return { commit: last.commit, files, shared: true };
  }
  const taken = await snapshotWithFiles(repo);
  if (run) {
    mkdirSync(dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, JSON.stringify({ commit: taken.commit, head: repo.head, at: now, run } satisfies LastSnapshot));
  }
  return { commit: taken.commit, files: Promise.resolve(taken.files), shared: false };
}

function readLastSnapshot(file: string): LastSnapshot | null {
  try {
    const last = JSON.parse(readFileSync(file, 'utf8')) as Partial<LastSnapshot>;
    return typeof last.commit === 'string' && /^[0-9a-f]{40,64}$/.test(last.commit) && typeof last.head === 'string' && typeof last.at === 'number' && typeof last.run === 'string' ? (last as LastSnapshot) : null;
  } catch {
    return null;
  }
}

/** `snapshotWorkspace`, with the snapshot's files (listed anyway, to leave out tracked artifacts). */
export async function snapshotWithFiles(repo: RepoInfo, message = SNAPSHOT_SUBJECT): Promise<{ commit: string; files: TreeFiles }> {
  const indexFile = tempIndexPath(repo, 'snapshot');
  const env = { ...PLUGIN_IDENTITY, GIT_INDEX_FILE: indexFile };
  try {
    if (existsSync(repo.indexFile)) copyFileSync(repo.indexFile, indexFile);
    else await git(repo.root, ['read-tree', repo.head], { env });
    await git(repo.root, ['add', '-A'], { env });
    let tree = await git(repo.root, ['write-tree'], { env });
    let files = await listTree(repo.root, tree);
    if ([...files.keys()].some((path) => path.startsWith(`${ARTIFACTS_DIR}/`))) {
      // Never part of a snapshot: the plugin's own artifacts (gitignored by `init`; when they are
      // not, or are tracked, they are dropped here at the cost of a second tree).
      await git(repo.root, ['rm', '--cached', '-r', '-q', '--', `:(top,literal)${ARTIFACTS_DIR}`], { env });
      tree = await git(repo.root, ['write-tree'], { env });
      files = await listTree(repo.root, tree);
    }
    const commit = await git(repo.root, ['commit-tree', tree, '-p', repo.head, '-m', message], { env });
    return { commit, files };
  } finally {
    rmSync(indexFile, { force: true });
  }
}
