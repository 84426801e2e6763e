import { git as testGit, gitRepo, removeDir, tempDir } from '../../../../testing/temp';
import { readRepoInfo } from './repo';
import { lookupResult, storeResult } from './result-cache';
import { pullResults, pushResults } from './share';
import { listTree } from './tree';

describe('sharing the result cache through a git remote', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('pushes from one clone and pulls into another', async () => {
    const origin = gitRepo({ 'libs/a/x.ts': 'x\n' });
    const bare = tempDir('nxwa-bare-');
    const clone = tempDir('nxwa-clone-');
    dirs.push(origin, bare, clone);
    testGit(bare, 'init', '-q', '--bare');
    testGit(origin, 'remote', 'add', 'team', bare);
    testGit(origin, 'push', '-q', 'team', 'main');
    testGit(clone, 'clone', '-q', '-b', 'main', bare, '.');

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
});
