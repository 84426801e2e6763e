import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { logger } from '@nx/devkit';
import { FsTree } from 'nx/src/generators/tree';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import { readRepoInfo } from '../../worktree/repo';
import { listRuns, RunRegistration, writeJsonAtomic } from '../../worktree/runs';
import { snapshotWorkspace } from '../../worktree/snapshot';
import { addWorktree } from '../../worktree/worktree';
import { pruneGenerator } from './generator';
import { parseAge } from './schema';

describe('nx g nx-worktree-ai:prune', () => {
  let root: string;
  let base: string;
  let lines: string[];
  beforeEach(() => {
    root = gitRepo({ 'README.md': '# r\n' });
    base = tempDir('nxwa-prune-gen-');
    lines = [];
    jest.spyOn(logger, 'info').mockImplementation((line) => void lines.push(String(line)));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    removeDir(root);
    removeDir(base);
  });

  /** What a SIGKILLed run leaves: a record of a dead pid, its worktree with unfinished work. */
  async function crashedRun(): Promise<{ worktree: string; record: string }> {
    const repo = await readRepoInfo(root);
    const worktree = (await addWorktree(repo, { baseDir: base, name: 'auth--login', branch: 'ai/auth/login', commit: await snapshotWorkspace(repo) })).dir;
    writeFileSync(join(worktree, 'login.ts'), 'export const login = 1;\n');
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const run = RunRegistration.start(repo, { workspace: root, project: 'auth', batch: 'login', branch: 'ai/auth/login' });
    writeJsonAtomic(run.file, { ...run.record, owner: { pid: dead, start: null, host: hostname() }, worktree });
    return { worktree, record: run.file };
  }

  it('prints the plan and changes nothing with dryRun (and Nx skips the callback under --dry-run)', async () => {
    const { worktree, record } = await crashedRun();
    const callback = await pruneGenerator(new FsTree(root, false), { dryRun: true });
    await callback();
    expect(lines.join('\n')).toContain('would clean up after auth:login');
    expect(lines.join('\n')).toMatch(/prune \(dry run\) would clean: 1 dead run \(auth:login\)/);
    expect(existsSync(worktree) && existsSync(record)).toBe(true);
  });

  it('cleans in its callback: dead run, its worktree (work kept on the branch), its record', async () => {
    const { worktree, record } = await crashedRun();
    const callback = await pruneGenerator(new FsTree(root, false), {});
    expect(existsSync(worktree)).toBe(true);
    await callback();
    expect(existsSync(worktree) || existsSync(record)).toBe(false);
    expect(listRuns(await readRepoInfo(root))).toEqual([]);
    expect(git(root, 'show', 'ai/auth/login:login.ts')).toBe('export const login = 1;');
    const [summary, kept] = lines.at(-1)!.split('\n');
    expect(summary).toMatch(/^nx-worktree-ai:prune cleaned: 1 dead run \(auth:login\); unfinished work kept on ai\/auth\/login; 1 worktree removed/);
    expect(kept).toMatch(/^Kept 1 branch with work found nowhere else: ai\/auth\/login\. Merge what you want/);
    // The plan printed before said the same.
    expect(lines.join('\n')).not.toContain('would delete branch ai/auth/login');
  });

  it('lists the edits replays overwrote and deletes them only with --force', async () => {
    const repo = await readRepoInfo(root);
    const snapshot = await snapshotWorkspace(repo);
    // The one ref per batch of earlier versions counts as well.
    const legacy = 'refs/nx-worktree-ai/overwritten/auth/login';
    git(root, 'update-ref', legacy, snapshot);
    const ref = 'refs/nx-worktree-ai/saved-edits/auth/login/20261201-120000';
    git(root, 'update-ref', ref, snapshot);
    await (await pruneGenerator(new FsTree(root, false), {}))();
    expect(lines.at(-1)).toContain(`Kept 2 saves of uncommitted edits a replay overwrote: ${legacy}, ${ref}. Get an edit back with git checkout <ref> -- <path>; --force deletes them.`);
    expect(git(root, 'for-each-ref', '--format=%(refname)', 'refs/nx-worktree-ai/')).toBe(`${legacy}\n${ref}`);
    await (await pruneGenerator(new FsTree(root, false), { force: true }))();
    expect(lines.at(-1)).toContain('Deleted 2 saves of edits a replay overwrote (--force).');
    expect(git(root, 'for-each-ref', 'refs/nx-worktree-ai/')).toBe('');
  });

  it('rejects a bad olderThan and parses good ones', async () => {
    await expect(pruneGenerator(new FsTree(root, false), { olderThan: 'soon' })).rejects.toThrow(/option "olderThan": got "soon"/);
    expect(parseAge('1d12h')).toBe(36 * 3_600_000);
    expect(parseAge('2w')).toBe(14 * 86_400_000);
  });
});
