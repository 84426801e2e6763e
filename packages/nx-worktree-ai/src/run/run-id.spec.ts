import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '@testing/temp';
import { aboveShell } from '../utils/nx-process';
import { currentRun, joinRun, processStartMs, stamp } from './run-id';

/** The environment Nx gives a task it forked from the nx process `pid` (Nx 24). */
const taskOf = (pid: number): NodeJS.ProcessEnv => ({ NX_TASK_HASH: 'h', NX_TASK_TARGET_PROJECT: 'auth', NX_INVOCATION_ANCESTOR_PIDS: `1,${pid}` });

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('the run id of an nx command', () => {
  let root: string;
  beforeEach(() => (root = tempDir('nxwa-run-id-')));
  afterEach(() => removeDir(root));

  it('follows from the nx process that forked the task: its start time and pid, the same for every task of it', () => {
    const run = currentRun(root, taskOf(process.pid));
    // This process plays the nx process: the run started when it did.
    expect(Math.abs(run.startedAt.getTime() - (Date.now() - process.uptime() * 1000))).toBeLessThan(50);
    expect(run.id).toBe(`${stamp(processStartMs(process.pid)!)}-${process.pid}`);
    expect(currentRun(root, taskOf(process.pid)).id).toBe(run.id);
    // Another nx process (here the parent), another run; older Nx name no ancestors: the parent forked
    // the task (or, for a run-commands command, started the shell that is the parent; jest may run under one).
    const parent = currentRun(root, { NX_TASK_HASH: 'h' });
    const nx = aboveShell(process.ppid);
    expect(parent.id).toBe(`${stamp(processStartMs(nx)!)}-${nx}`);
    expect(parent.id).not.toBe(run.id);
    // Nothing written for it: the process alone tells.
    expect(existsSync(join(root, '.nx-worktree-ai/.runs'))).toBe(false);
  });

  it('without the process start time, the first task records the run and the others read it; records of ended nx processes go', () => {
    const gone = deadPid();
    const first = currentRun(root, taskOf(gone), Date.parse('2026-12-01T09:00:00Z'));
    expect(first.id).toBe(`20261201-090000-${gone}`);
    const record = join(root, '.nx-worktree-ai/.runs', `pid-${gone}`);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual({ id: first.id, startedAt: '2026-12-01T09:00:00.000Z' });
    expect(currentRun(root, taskOf(gone), Date.parse('2026-12-01T09:05:00Z'))).toEqual(first);
    // The next command's first task (another pid) clears what ended ones left.
    const next = deadPid();
    currentRun(root, taskOf(next), Date.parse('2026-12-01T10:00:00Z'));
    expect(existsSync(record)).toBe(false);
    expect(existsSync(join(root, '.nx-worktree-ai/.runs', `pid-${next}`))).toBe(true);
  });

  it('joinRun writes run.json once, with the start of the command', () => {
    const run = joinRun(root, taskOf(process.pid))!;
    const file = join(root, '.nx-worktree-ai/.runs', run.id, 'run.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ id: run.id, startedAt: run.startedAt.toISOString() });
    expect(joinRun(root, taskOf(process.pid))!.id).toBe(run.id);
    expect(JSON.parse(readFileSync(file, 'utf8')).startedAt).toBe(run.startedAt.toISOString());
  });
});
