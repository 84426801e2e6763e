import { rmSync } from 'node:fs';
import type { FileVersion } from '../worktree/apply';
import { git, PLUGIN_IDENTITY } from '../worktree/git';
import type { RepoInfo } from '../worktree/repo';
import { recordPluginWrites, refWrite } from '../worktree/plugin-writes';
import { tempIndexPath } from '../worktree/runs';
import { writeBlobs } from '../worktree/tree';

/**
 * `apply: commit`: commits exactly the batch's files on the current branch (whatever else the user
 * has staged or changed stays out of it), then updates only those paths in the user's index.
 */
export async function commitToHead(repo: RepoInfo, writes: { path: string; file: FileVersion | null }[], message: string): Promise<string> {
  const head = await git(repo.root, ['rev-parse', 'HEAD']);
  const oids = await writeBlobs(repo, writes.flatMap(({ file }) => (file ? [file.content] : [])));
  let next = 0;
  const entries = writes.map(({ path, file }) => (file ? `${file.mode} ${oids[next++]}\t${path}` : `0 ${'0'.repeat(40)}\t${path}`));
  const indexInput = `${entries.join('\n')}\n`;
  const tmpIndex = tempIndexPath(repo, 'commit');
  try {
    await git(repo.root, ['read-tree', head], { env: { GIT_INDEX_FILE: tmpIndex } });
    await git(repo.root, ['update-index', '--index-info'], { env: { GIT_INDEX_FILE: tmpIndex }, input: indexInput });
    const tree = await git(repo.root, ['write-tree'], { env: { GIT_INDEX_FILE: tmpIndex } });
    const identity = (await hasUserIdentity(repo)) ? {} : PLUGIN_IDENTITY;
    const commit = await git(repo.root, ['commit-tree', tree, '-p', head], { env: identity, input: `${message}\n` });
    // The branch HEAD is on (or HEAD itself when detached) moves: recorded for the integrity checks of concurrent runs.
    const target = await git(repo.root, ['symbolic-ref', '-q', 'HEAD']).catch(() => 'HEAD');
    recordPluginWrites(repo, [refWrite(target, commit)]);
    await git(repo.root, ['update-ref', '-m', `nx-worktree-ai: ${message}`, 'HEAD', commit, head]);
    await git(repo.root, ['update-index', '--index-info'], { input: indexInput });
    return commit;
  } finally {
    rmSync(tmpIndex, { force: true });
  }
}

async function hasUserIdentity(repo: RepoInfo): Promise<boolean> {
  try {
    await git(repo.root, ['var', 'GIT_AUTHOR_IDENT']);
    return true;
  } catch {
    return false;
  }
}
