import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRepo, removeDir, writeFiles } from '@testing/temp';
import { readRepoInfo } from './repo';
import { snapshotWorkspace } from './snapshot';
import { listTree } from './tree';
import { workingTreeFiles } from './working-tree';

function objectCount(dir: string): number {
  const objects = join(dir, '.git', 'objects');
  return readdirSync(objects).filter((d) => /^[0-9a-f]{2}$/.test(d)).reduce((n, d) => n + readdirSync(join(objects, d)).length, 0);
}

describe('workingTreeFiles', () => {
  let dir: string;
  afterEach(() => removeDir(dir));

  it('lists exactly what a snapshot would hold (modes and blob ids), writing nothing', async () => {
    dir = gitRepo({
      '.gitignore': 'ignored/\n.nx-worktree-ai/\n',
      'a.txt': 'a\n',
      'gone.txt': 'deleted later\n',
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      'crlf.txt': 'one\r\ntwo\r\n',
      'src/keep.ts': 'export {};\n',
    });
    writeFiles(dir, {
      'a.txt': 'a, edited\n',
      'new/untracked.ts': 'export const x = 1;\n',
      'ignored/secret.txt': 'no\n',
      '.nx-worktree-ai/auth/x/result.json': '{}\n',
      'line\nbreak.txt': 'odd name\n',
    });
    git(dir, 'add', 'a.txt');
    writeFiles(dir, { 'a.txt': 'a, edited again (unstaged)\n' });
    chmodSync(join(dir, 'bin/run.sh'), 0o755);
    chmodSync(join(dir, 'src/keep.ts'), 0o755);
    rmSync(join(dir, 'gone.txt'));
    mkdirSync(join(dir, 'links'));
    symlinkSync('../a.txt', join(dir, 'links/to-a'));

    const repo = await readRepoInfo(dir);
    const objectsBefore = objectCount(dir);
    const status = git(dir, 'status', '--porcelain');
    const preview = await workingTreeFiles(repo);
    expect(objectCount(dir)).toBe(objectsBefore);
    expect(git(dir, 'status', '--porcelain')).toBe(status);

    const snapshot = await listTree(dir, await snapshotWorkspace(repo));
    expect(Object.fromEntries([...preview].sort())).toEqual(Object.fromEntries([...snapshot].sort()));
    expect(preview.get('src/keep.ts')?.mode).toBe('100755');
    expect(preview.get('links/to-a')?.mode).toBe('120000');
    expect(preview.has('gone.txt')).toBe(false);
    expect(preview.has('ignored/secret.txt')).toBe(false);
    expect(preview.has('.nx-worktree-ai/auth/x/result.json')).toBe(false);
  });

  it('hashes only the selected paths', async () => {
    dir = gitRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const repo = await readRepoInfo(dir);
    const preview = await workingTreeFiles(repo, (p) => p === 'b.txt');
    expect([...preview.keys()]).toEqual(['b.txt']);
  });
});
