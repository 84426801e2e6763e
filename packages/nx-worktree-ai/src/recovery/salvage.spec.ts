import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { git as testGit, gitRepo, removeDir, tempDir } from '@testing/temp';
import { collectChanges, commitOnBranch } from '../worktree/changes';
import { KEY_TRAILER } from '../worktree/branch';
import { pruneWorkspace } from './prune';
import { recoverStaleRuns } from './recover';
import { readRepoInfo, type RepoInfo } from '../worktree/repo';
import { RunRegistration, writeJsonAtomic, type RunRecord } from '../worktree/runs';
import { rememberScope } from './salvage';
import { snapshotWorkspace } from '../worktree/snapshot';
import { addWorktree } from '../worktree/worktree';

/**
 * Unfinished work of a worktree removed without its run (a SIGKILLed run, a worktree kept with
 * keepWorktree), in a sparse checkout: the kept branch changes the batch's outputs and nothing else.
 */
const OUTPUTS = ['libs/auth/src/gen/**'];

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Paths a branch changes against its first parent, as `git diff --name-status`. */
const changedBy = (root: string, branch: string) => testGit(root, 'diff', '--name-status', '--no-renames', `${branch}^`, branch).split('\n').filter(Boolean);

/** What `git merge <branch>` (the advice prune prints) deletes from the user's branch. */
function deletedByMerge(root: string, branch: string): string[] {
  const before = testGit(root, 'rev-parse', 'HEAD');
  testGit(root, 'merge', '-q', '--no-edit', branch);
  return testGit(root, 'diff', '--name-only', '--diff-filter=D', before, 'HEAD').split('\n').filter(Boolean);
}

describe('salvage of a sparse worktree', () => {
  let root: string;
  let base: string;
  let repo: RepoInfo;
  beforeEach(async () => {
    const files: Record<string, string> = { 'README.md': '# r\n', 'libs/auth/src/index.ts': 'export {};\n' };
    for (let i = 0; i < 30; i++) files[`libs/other/src/file-${i}.ts`] = `export const f${i} = ${i};\n`;
    root = gitRepo(files);
    base = tempDir('nxwa-salvage-wt-');
    repo = await readRepoInfo(root);
  });
  afterEach(() => {
    removeDir(root);
    removeDir(base);
  });

  /** A sparse worktree of the batch (cone libs/auth) where the agent wrote an output and a file outside the outputs. */
  async function sparseWorktreeWithWork() {
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: base, name: 'auth--login', branch: 'ai/auth/login', commit: snapshot, cone: ['libs/auth'] });
    expect(existsSync(join(wt.dir, 'libs/other'))).toBe(false);
    mkdirSync(join(wt.dir, 'libs/auth/src/gen'), { recursive: true });
    writeFileSync(join(wt.dir, 'libs/auth/src/gen/login.ts'), 'export const login = 1;\n');
    return { snapshot, wt };
  }

  it('after a SIGKILL: the kept branch holds only the outputs, deletes nothing not checked out, and merges without deleting', async () => {
    const { snapshot, wt } = await sparseWorktreeWithWork();
    writeFileSync(join(wt.dir, 'libs/auth/notes.md'), 'stray\n');
    const run = RunRegistration.start(repo, { workspace: root, project: 'auth', batch: 'login', branch: 'ai/auth/login' });
    const record: RunRecord = { ...run.record, owner: { pid: deadPid(), start: null, host: hostname() }, worktree: wt.dir, snapshot, outputs: OUTPUTS, phase: 'agent' };
    writeJsonAtomic(run.file, record);
    const lines: string[] = [];

    const report = await recoverStaleRuns(repo, { log: (line) => lines.push(line) });

    expect(report.salvaged).toEqual([expect.objectContaining({ branch: 'ai/auth/login', leftOut: ['libs/auth/notes.md'] })]);
    expect(changedBy(root, 'ai/auth/login')).toEqual(['A\tlibs/auth/src/gen/login.ts']);
    expect(lines.join('\n')).toContain("not carried onto ai/auth/login: 1 changed path(s) outside the batch's outputs (libs/auth/notes.md)");
    expect(deletedByMerge(root, 'ai/auth/login')).toEqual([]);
    expect(testGit(root, 'ls-files', 'libs/other')).toContain('libs/other/src/file-29.ts');
  });

  it('a worktree kept with keepWorktree, pruned later: the same, from the scope the run left in its git dir', async () => {
    const { snapshot, wt } = await sparseWorktreeWithWork();
    // The run committed its work on the branch (the worktree's own index stays the checkout's) and
    // kept the worktree; someone went on in it.
    const change = await collectChanges(repo, wt, snapshot);
    await commitOnBranch(repo, 'ai/auth/login', change.tree, snapshot, 'auth:login: batch', { [KEY_TRAILER]: 'k1', 'Nx-Worktree-Ai-Status': 'succeeded' });
    rememberScope(wt, { outputs: OUTPUTS, prepared: [] });
    writeFileSync(join(wt.dir, 'libs/auth/src/gen/extra.ts'), 'export const extra = 2;\n');
    writeFileSync(join(wt.dir, 'libs/auth/notes.md'), 'stray\n');

    const report = await pruneWorkspace(repo);

    expect(report.worktreesRemoved).toEqual([wt.dir]);
    expect(report.salvaged).toEqual([expect.objectContaining({ branch: 'ai/auth/login', leftOut: ['libs/auth/notes.md'] })]);
    expect(changedBy(root, 'ai/auth/login')).toEqual(['A\tlibs/auth/src/gen/extra.ts']);
    expect(testGit(root, 'diff', '--name-status', snapshot, 'ai/auth/login').split('\n')).toEqual(['A\tlibs/auth/src/gen/extra.ts', 'A\tlibs/auth/src/gen/login.ts']);
    expect(report.branchesKept.map((b) => b.branch)).toEqual(['ai/auth/login']);
    expect(deletedByMerge(root, 'ai/auth/login')).toEqual([]);
  });

  it('without a recorded scope (a worktree of an older version) it still deletes nothing the checkout did not write', async () => {
    const { wt } = await sparseWorktreeWithWork();
    rmSync(join(wt.dir, 'libs/auth/src/index.ts'));

    const report = await pruneWorkspace(repo);

    expect(report.salvaged.map((s) => s.branch)).toEqual(['ai/auth/login']);
    expect(changedBy(root, 'ai/auth/login')).toEqual(['A\tlibs/auth/src/gen/login.ts', 'D\tlibs/auth/src/index.ts']);
  });
});
