/**
 * Holds SIGINT/SIGTERM/SIGHUP for the length of a batch run, so a Ctrl-C never cuts the run between
 * two workspace writes. While the guard is held a signal only marks the run interrupted: the agent
 * is stopped (agents/process-group.ts listens too), `check()` throws at the run's checkpoints
 * (before the worktree, before the agent, before integration), and an integration already under
 * way completes. The run then ends as a failure that says it was interrupted; Nx, which sent the
 * signal, is stopping anyway. A SIGKILL cannot be held: the apply journal (worktree/journal.ts) and
 * the run registry (worktree/runs.ts) cover that case.
 */
export class RunInterrupted extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    message = `interrupted by ${signal}`,
  ) {
    super(message);
    this.name = 'RunInterrupted';
  }
}

export interface SignalGuard {
  /** The first signal received while held, or null. */
  readonly received: NodeJS.Signals | null;
  /** Throws RunInterrupted (with `message` when given) once a signal arrived. */
  check(message?: (signal: NodeJS.Signals) => string): void;
  /** Stops holding signals; returns the one received meanwhile. Idempotent. */
  release(): NodeJS.Signals | null;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function guardSignals(): SignalGuard {
  let received: NodeJS.Signals | null = null;
  let released = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    received ??= signal;
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    get received() {
      return received;
    },
    check(message) {
      if (received) throw new RunInterrupted(received, message?.(received));
    },
    release() {
      if (!released) {
        released = true;
        for (const signal of SIGNALS) process.off(signal, onSignal);
      }
      return received;
    },
  };
}
