import { git as testGit, gitRepo, removeDir, tempDir, clonePair } from '@testing/temp';
import { readRepoInfo } from './repo';
import { lookupResult, storeResult } from './result-cache';
import { GitError } from './git';
import { pullResults, pushResults } from './share';
import { listTree } from './tree';

describe('sharing the result cache through a git remote', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('pushes from one clone and pulls into another', async () => {
    const origin = gitRepo({ 'libs/a/x.ts': 'x\n' });
    dirs.push(origin);
    const { second: clone } = clonePair(origin, 'team', dirs);

    const first = await readRepoInfo(origin);
    const outputs = await listTree(origin, 'HEAD');
    await storeResult(first, 'k1', outputs, { 'result.json': '{"k":1}' });
    await storeResult(first, 'k2', outputs, { 'result.json': '{"k":2}' });
    expect(await pushResults(first, 'team')).toEqual({ remote: 'team', transferred: ['k1', 'k2'], total: 2 });
    expect(await pushResults(first, 'team')).toEqual({ remote: 'team', transferred: [], total: 2 });

    const second = await readRepoInfo(clone);
    expect(await lookupResult(second, 'k1')).toBeNull();
    expect(await pullResults(second, 'origin')).toEqual({ remote: 'origin', transferred: ['k1', 'k2'], total: 2 });
    const hit = await lookupResult(second, 'k2');
    expect(hit?.artifacts['result.json'].toString()).toBe('{"k":2}');
    expect(hit?.outputs).toEqual(outputs);
    expect(await pullResults(second, 'origin')).toEqual({ remote: 'origin', transferred: [], total: 2 });
  });

  it('refuses a remote that is an option', async () => {
    const repoDir = gitRepo({ a: '1' });
    dirs.push(repoDir);
    const repo = await readRepoInfo(repoDir);
    await expect(pushResults(repo, '--upload-pack=touch /tmp/pwned')).rejects.toThrow(/not a git remote/);
    await expect(pullResults(repo, '-x')).rejects.toThrow(/not a git remote/);
  });

  it('runs git with the user\'s environment, settings that start programs included (a CI deploy key)', async () => {
    const origin = gitRepo({ a: '1' });
    const bare = tempDir('nxwa-bare-');
    dirs.push(origin, bare);
    testGit(bare, 'init', '-q', '--bare');
    const repo = await readRepoInfo(origin);
    await storeResult(repo, 'k1', new Map(), { 'result.json': '{}' });
    const saved = { GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND, EDITOR: process.env.EDITOR };
    Object.assign(process.env, { GIT_SSH_COMMAND: 'ssh -i /dev/null', EDITOR: 'vi' });
    try {
      expect(await pushResults(repo, bare)).toEqual({ remote: bare, transferred: ['k1'], total: 1 });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('reports a failed transfer as a GitError with git\'s exit code and message', async () => {
    const repoDir = gitRepo({ a: '1' });
    dirs.push(repoDir);
    const repo = await readRepoInfo(repoDir);
    const pushed = await pushResults(repo, 'nowhere').catch((e: unknown) => e);
    expect(pushed).toBeInstanceOf(GitError);
    expect(pushed).toMatchObject({ args: ['ls-remote', '--refs', 'nowhere', 'refs/nx-worktree-ai/cache/*'], exitCode: 128 });
    expect((pushed as GitError).message).toContain("'nowhere' does not appear to be a git repository");
    const pulled = await pullResults(repo, 'nowhere').catch((e: unknown) => e);
    expect(pulled).toMatchObject({ args: ['fetch', 'nowhere', 'refs/nx-worktree-ai/cache/*:refs/nx-worktree-ai/cache/*'], exitCode: 128 });
  });
});
