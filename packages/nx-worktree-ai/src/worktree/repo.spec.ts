import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { git as testGit, gitRepo, removeDir, tempDir } from '@testing/temp';
import { readRepoInfo } from './repo';

describe('readRepoInfo', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach(removeDir));

  it('reads the top level, common dir, index and HEAD of a repository', async () => {
    const root = gitRepo({ 'a.txt': 'a\n' });
    dirs.push(root);
    const info = await readRepoInfo(root);
    expect(info).toEqual({
      root,
      topLevel: realpathSync(root),
      commonDir: join(root, '.git'),
      indexFile: join(root, '.git', 'index'),
      head: testGit(root, 'rev-parse', 'HEAD'),
    });
  });

  it('tells a folder outside any repository from a repository without a commit, and says what to do', async () => {
    const plain = tempDir('nxwa-norepo-');
    dirs.push(plain);
    await expect(readRepoInfo(plain)).rejects.toThrow(/is not a git repository with a commit \(git rev-parse .*not a git repository.*run "git init" and commit once/s);
    testGit(plain, 'init', '-q');
    await expect(readRepoInfo(plain)).rejects.toThrow(`${plain} is not a git repository with a commit (HEAD has no commit yet).`);
  });

  it('refuses a workspace below the top level of its repository', async () => {
    const root = gitRepo({ 'apps/web/a.txt': 'a\n' });
    dirs.push(root);
    mkdirSync(join(root, 'apps', 'web'), { recursive: true });
    await expect(readRepoInfo(join(root, 'apps', 'web'))).rejects.toThrow(/is not the root of its git repository/);
  });
});
