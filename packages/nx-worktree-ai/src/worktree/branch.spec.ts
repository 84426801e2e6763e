import { execFileSync } from 'node:child_process';
import { git as testGit, gitRepo, removeDir } from '@testing/temp';
import { KEY_TRAILER } from './branch';
import { commitOnBranch } from './changes';
import { pruneWorkspace } from '../recovery/prune';
import { readRepoInfo, type RepoInfo } from './repo';
import { snapshotWorkspace } from './snapshot';
import { listTree, writeTreeOf } from './tree';

/** Which batch branches prune keeps as "work found nowhere else", and which it deletes as holding nothing. */
describe('prune and the branches of failed runs', () => {
  let root: string;
  let repo: RepoInfo;
  beforeEach(async () => {
    root = gitRepo({ 'README.md': '# r\n', 'libs/auth/src/index.ts': 'export {};\n' });
    repo = await readRepoInfo(root);
  });
  afterEach(() => removeDir(root));

  /** A batch branch as a failed run leaves it: the run's commit on its snapshot, with `files` changed. */
  async function failedRun(branch: string, files: Record<string, string>): Promise<string> {
    const snapshot = await snapshotWorkspace(repo);
    const tree = await listTree(root, snapshot);
    for (const [path, content] of Object.entries(files)) tree.set(path, { mode: '100644', oid: hashBlob(content) });
    return commitOnBranch(repo, branch, await writeTreeOf(repo, tree), snapshot, `${branch}: failed`, { [KEY_TRAILER]: `key-${branch.replace(/\//g, '-')}`, 'Nx-Worktree-Ai-Status': 'failed' });
  }

  const hashBlob = (content: string) => execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: root, input: content, encoding: 'utf8' }).trim();

  it('deletes the branch of a failed run that changed nothing, and one whose changes HEAD already has; keeps real work', async () => {
    await failedRun('ai/auth/empty', {});
    await failedRun('ai/auth/merged-by-hand', { 'libs/auth/src/login.ts': 'export const login = 1;\n' });
    await failedRun('ai/auth/half', { 'libs/auth/src/half.ts': 'export const half = 1;\n' });
    // The user took login.ts over by hand and committed it.
    testGit(root, 'checkout', '-q', 'ai/auth/merged-by-hand', '--', 'libs/auth/src/login.ts');
    testGit(root, 'commit', '-qm', 'take login.ts');
    repo = await readRepoInfo(root);

    const report = await pruneWorkspace(repo);

    expect(report.branchesDeleted.sort()).toEqual(['ai/auth/empty', 'ai/auth/merged-by-hand']);
    expect(report.branchesKept).toEqual([{ branch: 'ai/auth/half', reason: expect.stringMatching(/^holds work found nowhere else/) }]);
    expect(testGit(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/ai/')).toBe('ai/auth/half');
  });
});
