import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRepo, removeDir, clonePair } from '@testing/temp';
import { readRepoInfo } from '../worktree/repo';
import { storeResult } from '../worktree/result-cache';
import { main } from './nx-worktree-ai';

describe('nx-worktree-ai cache', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  async function cli(cwd: string, ...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['cache', ...args], { cwd, out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('pushes to and pulls from a remote, from anywhere inside the workspace', async () => {
    const first = gitRepo({ 'nx.json': '{}', 'libs/a/x.ts': 'x' });
    dirs.push(first);
    const { second } = clonePair(first, 'origin', dirs);
    await storeResult(await readRepoInfo(first), 'key1', new Map(), { 'result.json': '{}' });

    expect(await cli(join(first, 'libs'), 'push')).toEqual({ code: 0, out: 'pushed 1 result (to origin; 1 stored here)', err: '' });
    expect(await cli(second, 'pull', 'origin')).toEqual({ code: 0, out: 'pulled 1 result (from origin; 1 stored here)', err: '' });
    expect(git(second, 'rev-parse', 'refs/nx-worktree-ai/cache/key1')).toBe(git(first, 'rev-parse', 'refs/nx-worktree-ai/cache/key1'));
  });

  it('explains its usage', async () => {
    const dir = gitRepo({ 'nx.json': '{}' });
    dirs.push(dir);
    writeFileSync(join(dir, 'x'), '');
    const wrong = await cli(dir, 'sync');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('expected push or pull');
    expect(wrong.err).toContain('usage: nx-worktree-ai cache push|pull');
    expect((await cli(dir, '--help')).out).toContain('refs/nx-worktree-ai/cache/*');
    expect((await cli(dir, 'push', 'nowhere')).code).toBe(1);
  });
});
