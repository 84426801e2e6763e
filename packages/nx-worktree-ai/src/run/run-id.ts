import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { recordRun, RUNS_DIR } from '../results/run-log';
import { nxProcessPid } from '../utils/nx-process';
import { processStart, processState } from '../worktree/runs';

/**
 * The run of one `nx` command: every batch task and every `ai-generate` aggregate of one invocation
 * share it. `id` is `<UTC start, yyyymmdd-hhmmss>-<pid of the nx process>`; `startedAt` is when
 * the command started (on Linux the nx process's own start time, so a run's wall time is the
 * command's; elsewhere when its first task started).
 */
export interface RunIdentity {
  id: string;
  startedAt: Date;
}

/**
 * Linux: when a process started (ms since the epoch), from its start in clock ticks since boot
 * (USER_HZ: 1/100 s on every architecture Node runs on). `exact` pins it against this process's
 * own start, known to the millisecond (the boot time /proc gives is whole seconds); the default,
 * from the boot time, is the same in every process, as a run id must be.
 */
export function processStartMs(pid: number, exact = false): number | null {
  const ticks = processStart(pid);
  if (ticks === null) return null;
  const self = exact ? processStart(process.pid) : null;
  if (self !== null) return Math.round(Date.now() - process.uptime() * 1000 + (Number(ticks) - Number(self)) * 10);
  const boot = bootTimeSeconds();
  return boot === null ? null : boot * 1000 + Number(ticks) * 10;
}

function bootTimeSeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
    return line ? Number(line.slice(6)) : null;
  } catch {
    return null;
  }
}

/** `20261204-234012`: a UTC time as the first part of a run id. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * The run this task belongs to. With the nx process's start time (Linux) it follows from the
 * process alone, so concurrent tasks agree without talking to each other. Without it, the first
 * task of the invocation writes `.nx-worktree-ai/.runs/pid-<pid>` (created exclusively, so two
 * tasks starting at once cannot both write it) and the others read it; such files of nx processes
 * that have ended are removed then.
 */
export function currentRun(root: string, env: NodeJS.ProcessEnv = process.env, now = Date.now()): RunIdentity {
  // Outside an Nx task, this process is the command.
  const pid = nxProcessPid(env) ?? process.pid;
  const started = processStartMs(pid);
  if (started !== null) return { id: `${stamp(started)}-${pid}`, startedAt: new Date(processStartMs(pid, true) ?? started) };
  return recordedRun(join(root, RUNS_DIR), pid, now);
}

function recordedRun(dir: string, pid: number, now: number): RunIdentity {
  const file = join(dir, `pid-${pid}`);
  const read = (): RunIdentity | null => {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { id?: unknown; startedAt?: unknown };
      return typeof data.id === 'string' && typeof data.startedAt === 'string' ? { id: data.id, startedAt: new Date(data.startedAt) } : null;
    } catch {
      return null;
    }
  };
  const existing = read();
  if (existing) return existing;
  mkdirSync(dir, { recursive: true });
  removeEnded(dir);
  const mine = { id: `${stamp(now)}-${pid}`, startedAt: new Date(now) };
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, JSON.stringify({ id: mine.id, startedAt: mine.startedAt.toISOString() }));
    } finally {
      closeSync(fd);
    }
    return mine;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another task of the same command won the race: wait for its content.
    for (let i = 0; i < 50; i++) {
      const theirs = read();
      if (theirs) return theirs;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    return mine;
  }
}

function removeEnded(dir: string): void {
  for (const name of readdirSync(dir)) {
    const match = /^pid-(\d+)$/.exec(name);
    if (match && processState({ pid: Number(match[1]), start: null }) === 'dead') rmSync(join(dir, name), { force: true });
  }
}

/** The run of this task, its run.json written if it is the first; null when it cannot be told (never a reason to fail a batch). */
export function joinRun(root: string, env: NodeJS.ProcessEnv = process.env): RunIdentity | null {
  try {
    const run = currentRun(root, env);
    recordRun(root, { id: run.id, startedAt: run.startedAt.toISOString() });
    return run;
  } catch {
    return null;
  }
}
