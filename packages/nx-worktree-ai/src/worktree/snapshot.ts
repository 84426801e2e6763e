import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { git, PLUGIN_IDENTITY } from './git';
import type { RepoInfo } from './repo';
import { tempIndexPath } from './runs';

/** Never part of a snapshot: the plugin's own artifacts (gitignored by `init`, dropped here in case they are not). */
const ARTIFACTS_PATHSPEC = ':(top,literal).nx-worktree-ai';

/** Subject of every snapshot commit (worktree/branch.ts tells a bare snapshot from agent work by it). */
export const SNAPSHOT_SUBJECT = 'nx-worktree-ai snapshot';

/**
 * Commits the workspace as it is (tracked and untracked, not ignored) on top of HEAD, without
 * touching the user's index, HEAD or files: `git add -A` runs against a private copy of the index
 * (copying it keeps git's stat cache, so only changed files are hashed again).
 */
export async function snapshotWorkspace(repo: RepoInfo, message = SNAPSHOT_SUBJECT): Promise<string> {
  const indexFile = tempIndexPath(repo, 'snapshot');
  const env = { ...PLUGIN_IDENTITY, GIT_INDEX_FILE: indexFile };
  try {
    if (existsSync(repo.indexFile)) copyFileSync(repo.indexFile, indexFile);
    else await git(repo.root, ['read-tree', repo.head], { env });
    await git(repo.root, ['add', '-A'], { env });
    await git(repo.root, ['rm', '--cached', '-r', '-q', '--ignore-unmatch', '--', ARTIFACTS_PATHSPEC], { env });
    const tree = await git(repo.root, ['write-tree'], { env });
    return await git(repo.root, ['commit-tree', tree, '-p', repo.head, '-m', message], { env });
  } finally {
    rmSync(indexFile, { force: true });
  }
}
