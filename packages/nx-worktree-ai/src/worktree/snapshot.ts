import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { git, PLUGIN_IDENTITY } from './git';
import type { RepoInfo } from './repo';
import { ARTIFACTS_DIR } from '../plugin/paths';
import { tempIndexPath } from './runs';
import { listTree, type TreeFiles } from './tree';

/** Never part of a snapshot: the plugin's own artifacts (gitignored by `init`, dropped here in case they are not). */
const ARTIFACTS_MAGIC = 'top,literal';

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
      // Artifacts not gitignored, or tracked (rare): dropped, at the cost of a second tree.
      await git(repo.root, ['rm', '--cached', '-r', '-q', '--', `:(${ARTIFACTS_MAGIC})${ARTIFACTS_DIR}`], { env });
      tree = await git(repo.root, ['write-tree'], { env });
      files = await listTree(repo.root, tree);
    }
    const commit = await git(repo.root, ['commit-tree', tree, '-p', repo.head, '-m', message], { env });
    return { commit, files };
  } finally {
    rmSync(indexFile, { force: true });
  }
}
