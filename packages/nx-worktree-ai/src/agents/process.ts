import { setTimeout as delay } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { LineSplitter, TailBuffer } from './lines';
import { groupAlive, killGroup, trackGroup } from './process-group';
import { spawnDetached, startError } from './spawn';

export { mergeEnv } from './spawn';

export interface AgentProcessOptions {
  bin: string;
  args: string[];
  /** Merged over process.env; `undefined` removes a variable. */
  env: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; null closes stdin at once. */
  stdin: string | null;
  cwd: string;
  /** null or 0: no timeout. */
  timeoutMs: number | null;
  /** Every stdout line (without its line ending), after `transcript`. */
  onLine(line: string): void;
  /** Every raw stdout line, for the transcript. */
  transcript?(line: string): void;
  signal?: AbortSignal;
  /** Called once the program runs, with its pid (= its process group id); the run registry records it. */
  onStart?(pid: number): void;
  /** Between SIGTERM and SIGKILL of the group. Default 3000. */
  killGraceMs?: number;
  maxLineChars?: number;
  /**
   * Applied to every stdout line (before `transcript` and `onLine`) and every stderr line (before
   * the tail keeps it), so that nothing derived from the output, cut short or not, holds a secret.
   */
  redact?: (text: string) => string;
}

export interface AgentProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Stopped by `options.signal` or by SIGINT/SIGTERM/SIGHUP sent to this process. */
  aborted: boolean;
  /** Last 8 KB of stderr. */
  stderrTail: string;
  /** options.timeoutMs, so `{ ...result, result: parsed }` is a complete AgentOutcome for classify(). */
  timeoutMs: number | null;
}

const DEFAULT_KILL_GRACE_MS = 3000;
/** After the group is gone, how long a stdio pipe may stay open (held by a process outside the group). */
const CLOSE_WAIT_MS = 1000;
const POLL_MS = 50;

/**
 * Runs an agent CLI in its own process group with piped stdio, streaming stdout lines. On timeout,
 * abort or a signal to this process the whole group is stopped (SIGTERM, SIGKILL after a grace);
 * stragglers left by a normal exit (background jobs) are stopped the same way, so nothing outlives
 * the run. Rejects only when the program cannot be started or a callback throws.
 */
export function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessResult> {
  if (options.signal?.aborted) {
    return Promise.resolve({ exitCode: null, signal: null, timedOut: false, aborted: true, stderrTail: '', timeoutMs: options.timeoutMs });
  }
  return new Promise((resolve, reject) => {
    const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const child = spawnDetached(options);
    // 'close': the program exited and its stdio closed.
    const closed = new Promise<void>((done) => child.once('close', () => done()));
    const stderr = new TailBuffer();
    const redact = options.redact;
    // Redacted line by line: a secret cut by a chunk boundary or by the tail's start would slip through.
    const stderrLines = redact ? new LineSplitter((line) => stderr.push(`${redact(line)}\n`), options.maxLineChars) : null;
    const state = { timedOut: false, aborted: false, stopping: false, hardKilled: false, callbackError: null as unknown };
    let graceTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let untrack = (): void => {};

    const stdout = new LineSplitter((line) => deliverLine(line), options.maxLineChars);

    function deliverLine(line: string): void {
      if (state.callbackError !== null) return;
      try {
        const text = redact ? redact(line) : line;
        options.transcript?.(text);
        options.onLine(text);
      } catch (error) {
        state.callbackError = error ?? new Error('line callback threw');
        requestStop();
      }
    }

    function forceKill(): void {
      state.hardKilled = true;
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    }

    /** Idempotent: SIGTERM now, SIGKILL after the grace. */
    function requestStop(): void {
      if (state.stopping || child.pid === undefined) return;
      state.stopping = true;
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(forceKill, graceMs);
    }

    function onAbort(): void {
      state.aborted = true;
      requestStop();
    }

    function onProcessSignal(): void {
      state.aborted = true;
      // A second Ctrl-C means "now".
      if (state.stopping) forceKill();
      else requestStop();
    }

    function cleanup(): void {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
    }

    async function afterExit(exitCode: number | null, exitSignal: NodeJS.Signals | null): Promise<void> {
      clearTimeout(timeoutTimer);
      await stopStragglers(child.pid!, requestStop, () => state.hardKilled);
      await waitForClose([child.stdout!, child.stderr!], closed);
      stdout.end();
      stderrLines?.end();
      cleanup();
      const result: AgentProcessResult = {
        exitCode,
        signal: exitSignal,
        timedOut: state.timedOut,
        aborted: state.aborted,
        stderrTail: stderr.toString(),
        timeoutMs: options.timeoutMs,
      };
      if (state.callbackError !== null) reject(state.callbackError);
      else resolve(result);
      // Last: this may re-raise a signal received meanwhile, ending this process.
      untrack();
    }

    if (child.pid === undefined) {
      // Not started (e.g. ENOENT): the spawn error follows as an 'error' event.
      child.once('error', (error: NodeJS.ErrnoException) => {
        cleanup();
        reject(startError(options.bin, error));
      });
      return;
    }
    // Once started, a failed kill is the only 'error' left: the group is stopped by pid anyway.
    child.on('error', () => {});
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderrLines ? stderrLines.push(chunk) : stderr.push(chunk)));
    // The program may exit without reading its prompt: EPIPE is its own failure, reported by its exit.
    child.stdin!.on('error', () => {});
    if (options.stdin === null) child.stdin!.end();
    else child.stdin!.end(options.stdin);

    untrack = trackGroup(child.pid, onProcessSignal);
    try {
      options.onStart?.(child.pid);
    } catch {
      // bookkeeping only: never a reason to lose the run
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs) {
      timeoutTimer = setTimeout(() => {
        state.timedOut = true;
        requestStop();
      }, options.timeoutMs);
    }
    child.once('exit', (code, signal) => void afterExit(code, signal));
  });
}

/** Stops what is left of the group after its leader exited; returns once it is gone or SIGKILLed. */
async function stopStragglers(pid: number, requestStop: () => void, hardKilled: () => boolean): Promise<void> {
  if (!groupAlive(pid)) return;
  requestStop();
  while (groupAlive(pid) && !hardKilled()) await delay(POLL_MS);
}

/** Waits for stdio to close; a pipe held open by a process that left the group is cut. */
async function waitForClose(pipes: Readable[], closed: Promise<void>): Promise<void> {
  const timer = delay(CLOSE_WAIT_MS, 'timeout' as const);
  if ((await Promise.race([closed, timer])) === 'timeout') {
    for (const pipe of pipes) pipe.destroy();
    await closed;
  }
}
