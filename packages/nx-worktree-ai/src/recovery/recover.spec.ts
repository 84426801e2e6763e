import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { git as testGit, gitRepo, removeDir, tempDir, gitRepoFor, tempDirFor } from '@testing/temp';
import { applyTmpSuffix, recoverJournal, type Journal } from '../worktree/journal';
import { pruneWorkspace } from './prune';
import { recoverStaleRuns } from './recover';
import { releaseBranch } from './release';
import { readRepoInfo, type RepoInfo } from '../worktree/repo';
import { groupMembers, listRuns, processStart, processState, RunRegistration, runsDir, tempIndexPath, writeJsonAtomic, type RunRecord } from '../worktree/runs';
import { snapshotWorkspace } from '../worktree/snapshot';
import { addWorktree } from '../worktree/worktree';

/** The pid of a process that has exited (and been reaped): a run that was SIGKILLed. */
function deadPid(): number {
  const res = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(res.stdout);
}

/** A registry record as a killed run leaves it, owned by `pid`. */
function writeRecord(repo: RepoInfo, pid: number, patch: Partial<RunRecord>): string {
  const registration = RunRegistration.start(repo, { workspace: repo.root, project: 'auth', batch: 'login', branch: 'ai/auth/login' });
  const record: RunRecord = { ...registration.record, owner: { pid, start: null, host: hostname() }, ...patch };
  writeJsonAtomic(registration.file, record);
  return registration.file;
}

describe('run registry', () => {
  let root: string;
  let repo: RepoInfo;
  beforeEach(async () => {
    root = gitRepo({ 'README.md': '# r\n' });
    repo = await readRepoInfo(root);
  });
  afterEach(() => removeDir(root));

  it('registers a run in the git common dir and removes it once finished (twice is fine)', () => {
    const run = RunRegistration.start(repo, { workspace: root, project: 'auth', batch: 'login', branch: 'ai/auth/login' });
    expect(run.file).toBe(join(repo.commonDir, 'nx-worktree-ai', 'runs', `${run.id}.json`));
    run.update({ worktree: '/tmp/x', phase: 'agent' });
    const [entry] = listRuns(repo);
    expect(entry.record).toMatchObject({ version: 1, project: 'auth', batch: 'login', branch: 'ai/auth/login', worktree: '/tmp/x', phase: 'agent' });
    expect(entry.record!.owner).toEqual({ pid: process.pid, start: processStart(process.pid), host: hostname() });
    run.finish();
    run.finish();
    expect(listRuns(repo)).toEqual([]);
  });

  it('tells live, dead, reused and remote pids apart', () => {
    expect(processState({ pid: process.pid, start: processStart(process.pid) })).toBe('alive');
    expect(processState({ pid: deadPid(), start: null })).toBe('dead');
    if (process.platform === 'linux') expect(processState({ pid: process.pid, start: '1' })).toBe('dead');
    expect(processState({ pid: process.pid, start: null }, 'another-host')).toBe('unknown');
  });
});

describe('recoverStaleRuns', () => {
  const workspace = gitRepoFor({ 'README.md': '# r\n', '.gitignore': 'node_modules\n', 'libs/auth/src/index.ts': 'export {};\n' });
  const worktrees = tempDirFor('nxwa-recover-wt-', { each: true });
  let repo: RepoInfo;
  beforeEach(async () => void (repo = await readRepoInfo(workspace.path)));

  it("kills a dead run's agent group, keeps its uncommitted work on its branch and removes worktree, temp files and record", async () => {
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: worktrees.path, name: 'auth--login', branch: 'ai/auth/login', commit: snapshot });
    mkdirSync(join(workspace.path, 'node_modules'), { recursive: true });
    symlinkSync(join(workspace.path, 'node_modules'), join(wt.dir, 'node_modules'));
    writeFileSync(join(wt.dir, 'libs/auth/src/login.ts'), 'export const login = 1;\n');
    const prompt = `${wt.dir}.prompt.md`;
    writeFileSync(prompt, 'the prompt');
    // An orphaned agent: its own process group, still running.
    const agent = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const agentStart = processStart(agent.pid!);
    const ownerPid = deadPid();
    // A temp index of the dead process, and one of this (live) process.
    const deadIndex = tempIndexPath(repo, 'snapshot').replace(`-${process.pid}-`, `-${ownerPid}-`);
    writeFileSync(deadIndex, '');
    const liveIndex = tempIndexPath(repo, 'collect');
    writeFileSync(liveIndex, '');
    // A ref lock a killed git left on the batch branch, a minute old.
    const refLock = join(repo.commonDir, 'refs/heads/ai/auth/login.lock');
    writeFileSync(refLock, '');
    utimesSync(refLock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const file = writeRecord(repo, ownerPid, {
      worktree: wt.dir,
      snapshot,
      prepared: ['node_modules'],
      agent: { pid: agent.pid!, start: agentStart },
      tempFiles: [prompt],
      phase: 'agent',
    });

    const report = await recoverStaleRuns(repo);

    expect(report.runs.map((r) => r.label)).toEqual(['auth:login']);
    expect(report.agentsKilled).toEqual([agent.pid]);
    expect(groupMembers(agent.pid!)).toEqual([]);
    expect(report.salvaged).toEqual([{ label: 'auth:login', branch: 'ai/auth/login', commit: expect.stringMatching(/^[0-9a-f]{40}$/), leftOut: [] }]);
    expect(testGit(workspace.path, 'show', 'ai/auth/login:libs/auth/src/login.ts')).toBe('export const login = 1;');
    expect(testGit(workspace.path, 'log', '-1', '--format=%B', 'ai/auth/login')).toContain('Nx-Worktree-Ai-Status: interrupted');
    // node_modules was the plugin's link, not the agent's work.
    expect(testGit(workspace.path, 'ls-tree', '--name-only', 'ai/auth/login')).not.toContain('node_modules');
    expect(existsSync(wt.dir)).toBe(false);
    expect(testGit(workspace.path, 'worktree', 'list')).not.toContain(wt.dir);
    expect(existsSync(join(workspace.path, 'node_modules'))).toBe(true);
    expect(existsSync(prompt)).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(deadIndex)).toBe(false);
    expect(existsSync(liveIndex)).toBe(true);
    expect(existsSync(refLock)).toBe(false);
  });

  it('leaves live runs alone, and runs of another host unless forced', async () => {
    const live = RunRegistration.start(repo, { workspace: workspace.path, project: 'auth', batch: 'a', branch: 'ai/auth/a' });
    const remote = writeRecord(repo, 1, { owner: { pid: 1, start: null, host: 'another-host' } });
    let report = await recoverStaleRuns(repo);
    expect(report.runs).toEqual([]);
    expect(report.live).toHaveLength(2);
    expect(existsSync(live.file) && existsSync(remote)).toBe(true);
    report = await recoverStaleRuns(repo, { force: true });
    expect(report.runs.map((r) => r.host)).toEqual(['another-host']);
    expect(existsSync(remote)).toBe(false);
    expect(existsSync(live.file)).toBe(true);
    live.finish();
  });

  it('dry run: reports and changes nothing', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: worktrees.path, name: 'auth--login', branch: 'ai/auth/login', commit: snapshot });
    writeFileSync(join(wt.dir, 'new.txt'), 'x');
    const file = writeRecord(repo, deadPid(), { worktree: wt.dir });
    const report = await recoverStaleRuns(repo, { dryRun: true });
    expect(report.runs).toHaveLength(1);
    expect(report.worktreesRemoved).toEqual([wt.dir]);
    expect(report.salvaged).toHaveLength(1);
    expect(existsSync(file) && existsSync(join(wt.dir, 'new.txt'))).toBe(true);
    expect(testGit(workspace.path, 'rev-parse', 'ai/auth/login')).toBe(snapshot);
  });

  it('keeps the work beside the branch when the worktree is no longer on it, as ai-kept/...-interrupted', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: worktrees.path, name: 'auth--login', branch: 'ai/auth/login', commit: snapshot });
    writeFileSync(join(wt.dir, 'half.txt'), 'half done\n');
    testGit(wt.dir, 'checkout', '-q', '--detach');
    testGit(workspace.path, 'update-ref', 'refs/heads/ai/auth/login', testGit(workspace.path, 'rev-parse', 'HEAD'));
    writeRecord(repo, deadPid(), { worktree: wt.dir });
    const report = await recoverStaleRuns(repo);
    expect(report.salvaged[0].branch).toMatch(/^ai-kept\/auth\/login\/\d{8}-\d{6}-interrupted$/);
    expect(testGit(workspace.path, 'show', `${report.salvaged[0].branch}:half.txt`)).toBe('half done');
  });

  it('undoes an integration cut short, from its journal', async () => {
    writeFileSync(join(workspace.path, 'a.txt'), 'a before\n');
    writeFileSync(join(workspace.path, 'c.txt'), 'c before\n');
    const journalFile = join(runsDir(repo), 'x.journal.json');
    mkdirSync(runsDir(repo), { recursive: true });
    const { createHash } = await import('node:crypto');
    const hash = (content: string) => createHash('sha256').update('100644').update('\0').update(content).digest('hex');
    const journal: Journal = {
      version: 1,
      workspace: workspace.path,
      state: 'applying',
      tmpSuffix: applyTmpSuffix(12345),
      entries: [
        { path: 'a.txt', before: { mode: '100644', content: Buffer.from('a before\n').toString('base64') }, after: hash('a after\n') },
        { path: 'b.txt', before: null, after: hash('b new\n') },
        { path: 'c.txt', before: { mode: '100644', content: Buffer.from('c before\n').toString('base64') }, after: hash('c after\n') },
      ],
    };
    writeJsonAtomic(journalFile, journal);
    // The crash: a.txt and b.txt were written, c.txt only as a temp file beside it.
    writeFileSync(join(workspace.path, 'a.txt'), 'a after\n');
    writeFileSync(join(workspace.path, 'b.txt'), 'b new\n');
    writeFileSync(join(workspace.path, `c.txt${applyTmpSuffix(12345)}`), 'c after\n');
    writeRecord(repo, deadPid(), { journal: journalFile, phase: 'integrating' });

    const report = await recoverStaleRuns(repo);
    expect(report.restored.sort()).toEqual(['a.txt', 'b.txt']);
    expect(readFileSync(join(workspace.path, 'a.txt'), 'utf8')).toBe('a before\n');
    expect(existsSync(join(workspace.path, 'b.txt'))).toBe(false);
    expect(readFileSync(join(workspace.path, 'c.txt'), 'utf8')).toBe('c before\n');
    expect(readdirSync(workspace.path).filter((n) => n.includes('.nx-worktree-ai-'))).toEqual([]);
    expect(existsSync(journalFile)).toBe(false);
  });

  it('never overwrites a file changed after the interrupted integration', () => {
    const journalFile = join(runsDir(repo), 'j.journal.json');
    mkdirSync(runsDir(repo), { recursive: true });
    writeFileSync(join(workspace.path, 'a.txt'), 'edited by the user meanwhile\n');
    writeJsonAtomic(journalFile, {
      version: 1,
      workspace: workspace.path,
      state: 'applying',
      tmpSuffix: applyTmpSuffix(1),
      entries: [{ path: 'a.txt', before: null, after: 'f'.repeat(64) }],
    } satisfies Journal);
    expect(recoverJournal(journalFile)).toEqual({ restored: [], skipped: ['a.txt'], completed: false });
    expect(readFileSync(join(workspace.path, 'a.txt'), 'utf8')).toBe('edited by the user meanwhile\n');
  });

  it('releaseBranch refuses a branch a live run holds, and frees one a finished run kept (its changes saved)', async () => {
    const live = RunRegistration.start(repo, { workspace: workspace.path, project: 'auth', batch: 'login', branch: 'ai/auth/login' });
    // Owned by another live process (this one's parent).
    Object.assign(live.record.owner, { pid: process.ppid, start: null });
    live.update({});
    await expect(releaseBranch(repo, 'ai/auth/login', worktrees.path)).rejects.toThrow(/auth:login is already running \(pid \d+/);
    live.finish();

    const snapshot = await snapshotWorkspace(repo);
    const kept = await addWorktree(repo, { baseDir: worktrees.path, name: 'auth--login', branch: 'ai/auth/login', commit: snapshot });
    writeFileSync(join(kept.dir, 'fixed-by-hand.txt'), 'the user fixed it in the kept worktree\n');
    await releaseBranch(repo, 'ai/auth/login', worktrees.path);
    expect(existsSync(kept.dir)).toBe(false);
    expect(testGit(workspace.path, 'show', 'ai/auth/login:fixed-by-hand.txt')).toBe('the user fixed it in the kept worktree');
  });
});

describe('pruneWorkspace', () => {
  let root: string;
  let base: string;
  let repo: RepoInfo;
  beforeEach(async () => {
    root = gitRepo({ 'README.md': '# r\n' });
    base = tempDir('nxwa-prune-wt-');
    repo = await readRepoInfo(root);
  });
  afterEach(() => {
    removeDir(root);
    removeDir(base);
  });

  const commitOn = (branch: string, file: string) => {
    testGit(root, 'checkout', '-q', '-b', branch);
    writeFileSync(join(root, file), file);
    testGit(root, 'add', file);
    testGit(root, 'commit', '-qm', file);
    testGit(root, 'checkout', '-q', 'main');
  };

  it('deletes integrated batch branches, keeps unintegrated ones unless forced, removes kept worktrees', async () => {
    commitOn('ai/auth/merged', 'merged.txt');
    testGit(root, 'merge', '-q', '--ff-only', 'ai/auth/merged');
    commitOn('ai/auth/open', 'open.txt');
    commitOn('ai-kept/auth/open/20250101-000000', 'old.txt');
    repo = await readRepoInfo(root);
    const snapshot = await snapshotWorkspace(repo);
    testGit(root, 'branch', 'ai/api/snap', snapshot);
    const kept = await addWorktree(repo, { baseDir: base, name: 'api--kept', branch: 'ai/api/kept', commit: snapshot });

    const dry = await pruneWorkspace(repo, { dryRun: true });
    expect(dry.branchesDeleted.sort()).toEqual(['ai/api/kept', 'ai/api/snap', 'ai/auth/merged']);
    expect(existsSync(kept.dir)).toBe(true);
    expect(testGit(root, 'branch', '--list', 'ai/*')).toContain('ai/auth/merged');

    const report = await pruneWorkspace(repo);
    expect(report.worktreesRemoved).toEqual([kept.dir]);
    expect(existsSync(kept.dir)).toBe(false);
    expect(report.branchesDeleted.sort()).toEqual(['ai/api/kept', 'ai/api/snap', 'ai/auth/merged']);
    expect(report.branchesKept.map((b) => b.branch).sort()).toEqual(['ai-kept/auth/open/20250101-000000', 'ai/auth/open']);
    expect(testGit(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').sort()).toEqual([
      'ai-kept/auth/open/20250101-000000',
      'ai/auth/open',
      'main',
    ]);

    const young = await pruneWorkspace(repo, { force: true, olderThanMs: 3_600_000 });
    expect(young.branchesDeleted).toEqual([]);
    const forced = await pruneWorkspace(repo, { force: true });
    expect(forced.branchesDeleted.sort()).toEqual(['ai-kept/auth/open/20250101-000000', 'ai/auth/open']);
  });
});
