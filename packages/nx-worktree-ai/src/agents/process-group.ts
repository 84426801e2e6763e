import { spawn } from 'node:child_process';

const isWindows = process.platform === 'win32';

/** Sends `signal` to the whole process group led by `pid` (spawned with detached: true). Never throws. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (isWindows) {
    // No process groups: taskkill /T walks the tree instead (always forceful).
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => {});
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** true while any process of the group exists (zombies included: they cannot be told apart cheaply). */
export function groupAlive(pid: number): boolean {
  if (isWindows) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type StopHandler = (signal: NodeJS.Signals) => void;

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const active = new Map<number, { onSignal: StopHandler }>();
let received: NodeJS.Signals | null = null;

function dispatchSignal(signal: NodeJS.Signals): void {
  received = signal;
  for (const run of [...active.values()]) run.onSignal(signal);
}

function killAllOnExit(): void {
  for (const pid of active.keys()) killGroup(pid, 'SIGKILL');
}

function installHandlers(): void {
  received = null;
  for (const signal of FORWARDED_SIGNALS) process.on(signal, dispatchSignal);
  process.on('exit', killAllOnExit);
}

function uninstallHandlers(): void {
  for (const signal of FORWARDED_SIGNALS) process.off(signal, dispatchSignal);
  process.off('exit', killAllOnExit);
}

/**
 * Registers a running group so SIGINT/SIGTERM/SIGHUP sent to this process stop it, and so it is
 * SIGKILLed if this process exits first. One set of process listeners serves all concurrent runs.
 * Returns the unregister function. When the last run unregisters after a signal arrived and nobody
 * else listens for that signal, the signal is re-raised: listening must not swallow the user's Ctrl-C.
 */
export function trackGroup(pid: number, onSignal: StopHandler): () => void {
  if (active.size === 0) installHandlers();
  active.set(pid, { onSignal });
  return () => {
    if (!active.delete(pid) || active.size > 0) return;
    uninstallHandlers();
    const signal = received;
    received = null;
    if (signal && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
}
