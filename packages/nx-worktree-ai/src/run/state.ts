import type { phaseClock } from '../utils/phases';
import type { Redactor } from '../utils/redact';
import type { RepoInfo } from '../worktree/repo';
import type { Snapshot } from '../worktree/snapshot';
import type { BatchResult } from '../results/result';
import type { GenerateOptions } from '../resolve/options';
import type { StampedCommit } from './outcome';
import type { RunLifecycle } from './crash-safety';
import type { BatchRun } from '../resolve/resolve';

export interface RunContext {
  root: string;
  /** Progress and log lines; the executor redacts them before they reach the terminal. */
  log: (line: string) => void;
  /** Applied to the transcript, artifacts and commit messages (utils/redact.ts). */
  redact?: Redactor;
  /** The `nx` command's run (run/run-id.ts), recorded in result.json. */
  runId?: string | null;
}

/** What every stage of one run reads: the batch, its options and what the run's start settled. */
export interface RunState {
  run: BatchRun;
  options: GenerateOptions;
  ctx: RunContext;
  redact: Redactor;
  startedAt: Date;
  clock: ReturnType<typeof phaseClock>;
  /** gitProcessCount() when the run began: Nx runs each batch in its own worker, so what it counts since is this run's. */
  gitBefore: number;
  repo: RepoInfo;
  lock: string;
  prompt: string;
  branch: string;
  life: RunLifecycle;
  snapshot: Snapshot;
  cacheKey: string;
  /** A sample of a batch with `samples`: which one, of how many, and the signal that stops it. */
  sample?: { k: number; of: number; stop: AbortSignal };
}

/** result.json before the run ends. */
export type ResultBase = Omit<BatchResult, 'status' | 'error' | 'finishedAt' | 'durationMs'>;

/** What the stages after the agent's start add to, and a failure writes out. */
export interface RunRecord {
  base: ResultBase;
  transcript: string[];
  /** The stderr tail of each attempt (refused writes are found there too). */
  stderr: string[];
  patch: string;
  stamped: StampedCommit | null;
  /** The worktree is already gone (removed while the result was stored). */
  removed: boolean;
}
