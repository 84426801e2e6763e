import { readRepoInfo } from '../worktree/repo';
import { git, gitRepo, removeDir } from '@testing/temp';
import { commitToHead } from './commit-to-head';

describe('commitToHead (apply: commit)', () => {
  let root: string;
  beforeEach(() => {
    root = gitRepo({ 'a.txt': 'a\n', 'gone.txt': 'bye\n', 'other.txt': 'staged by the user\n' });
  });
  afterEach(() => removeDir(root));

  it('commits exactly the batch files (written, changed, deleted) on HEAD and leaves the rest of the index', async () => {
    git(root, 'rm', '-q', '--cached', 'other.txt');
    const head = git(root, 'rev-parse', 'HEAD');
    const commit = await commitToHead(
      await readRepoInfo(root),
      [
        { path: 'a.txt', file: { mode: '100644', content: Buffer.from('A\n') } },
        { path: 'gone.txt', file: null },
        { path: 'new/b.sh', file: { mode: '100755', content: Buffer.from('#!/bin/sh\n') } },
      ],
      'auth:module: test',
    );
    expect(git(root, 'rev-parse', 'HEAD')).toBe(commit);
    expect(git(root, 'rev-parse', `${commit}^`)).toBe(head);
    expect(git(root, 'diff-tree', '-r', '--name-status', '--no-commit-id', commit)).toBe('M\ta.txt\nD\tgone.txt\nA\tnew/b.sh');
    expect(git(root, 'show', `${commit}:a.txt`)).toBe('A');
    expect(git(root, 'ls-tree', commit, 'new/b.sh').split(' ')[0]).toBe('100755');
    // The user's own staged change (other.txt removed from the index) is neither committed nor undone.
    expect(git(root, 'ls-tree', '--name-only', commit)).toContain('other.txt');
    expect(git(root, 'ls-files', 'other.txt')).toBe('');
  });
});
