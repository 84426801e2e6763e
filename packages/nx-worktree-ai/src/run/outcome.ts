import type { AgentFailure } from '../agents/types';
import { RunInterrupted } from '../utils/signal-guard';
import type { BatchRun } from '../resolve/resolve';
import type { BatchResult } from '../results/result';

/** What a run that started its agent ends as (a replay is "replayed"). */
export type RunStatus = Exclude<BatchResult['status'], 'replayed'>;

export interface OutcomeFacts {
  /** The agent's failure as its adapter classified it, or null. */
  failure: AgentFailure | null;
  /** The signal (SIGINT, SIGTERM, SIGHUP) the run received while it ran, or null. */
  signal: NodeJS.Signals | null;
  /** What reached outside the worktree (the integrity check), already worded, or null. */
  outside: string | null;
  /** The scope guard's finding, or null. */
  scope: string | null;
  /** The batch's verify command never passed, worded; or null. */
  verify: string | null;
  /** Paths the agent changed. */
  filesChanged: number;
  /** resume: files the continued session changed in its earlier run (already integrated when they are not among this run's). */
  resumedFiles: number;
  /** The agent's refused tool calls (permission denials) of its last attempt. */
  permissionDenials: string[];
  branch: string;
  /** Where the transcript of the run is written. */
  transcriptPath: string;
}

export interface Outcome {
  status: RunStatus;
  /** The batch is a success for Nx (then it may be cached): succeeded, or empty with allowEmpty. */
  ok: boolean;
  /** The run's last line when it is not a plain success; null when there is nothing to say. */
  message: string | null;
}

/**
 * The one place the run's status is decided, before its commit, so the branch commit's status
 * trailer and result.json say the same. In order: something reached outside the worktree (failed:
 * that needs a look whatever else happened), a signal (interrupted: run it again), the agent's
 * failure, the scope guard or a verify command that never passed (failed), no file changed (empty: a failure unless `allowEmpty: true`).
 */
export function decideOutcome(run: BatchRun, facts: OutcomeFacts): Outcome {
  const interrupted = facts.signal ? interruptedMessage(facts.signal, 'while the agent ran', facts.branch) : null;
  const cause = interrupted ?? facts.failure?.message ?? facts.scope ?? facts.verify;
  if (facts.outside) return { status: 'failed', ok: false, message: [facts.outside, cause].filter(Boolean).join(' Also: ') };
  if (interrupted) return { status: 'interrupted', ok: false, message: interrupted };
  if (cause) return { status: 'failed', ok: false, message: cause };
  // A resumed session whose earlier work is already in the workspace did its work, in two runs.
  if (facts.filesChanged > 0 || facts.resumedFiles > 0) return { status: 'succeeded', ok: true, message: null };
  const allowEmpty = run.spec.frontmatter.allowEmpty === true;
  return { status: 'empty', ok: allowEmpty, message: allowEmpty ? null : emptyMessage(run, facts) };
}

/**
 * A run that failed by throwing (a conflict, a setup command, a checkpoint): interrupted when a
 * signal had arrived (it most likely caused the failure: a setup command stopped by it), else failed.
 */
export function thrownOutcome(error: unknown, signal: NodeJS.Signals | null): { status: RunStatus; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RunInterrupted) return { status: 'interrupted', message };
  if (signal) return { status: 'interrupted', message: `interrupted by ${signal}: ${message}` };
  return { status: 'failed', message };
}

/** The message of a run stopped by a signal; `stage` says where ("while the agent ran"). */
export function interruptedMessage(signal: NodeJS.Signals, stage: string, branch?: string): string {
  return (
    `interrupted by ${signal} ${stage}: nothing was applied to the workspace` +
    (branch ? `; what the agent did is on branch ${branch}` : '') +
    '. Run the batch again to finish it.'
  );
}

function emptyMessage(run: BatchRun, facts: OutcomeFacts): string {
  const denied = [...new Set(facts.permissionDenials)];
  const settings = run.agent === 'claude' ? `claude: { allowedTools: [...] } in ${run.spec.file}` : `the "${run.agent}" section of ${run.spec.file} or the executor option agentArgs`;
  const why = denied.length
    ? ` It was refused ${denied.join(', ')}: allow what the work needs (${settings}), or change the prompt.`
    : ' Read what it did and said there, then make the prompt say which files to write.';
  return (
    `the agent changed no file (status "empty"); see ${facts.transcriptPath}.${why} ` +
    `If a run that changes nothing is fine for this batch, set allowEmpty: true in ${run.spec.file}. Nothing was applied or cached.`
  );
}


/** The batch branch's commit, with the status trailer it was made with, and how to make it with another. */
export interface StampedCommit {
  commit: string;
  status: RunStatus;
  restamp(status: RunStatus): Promise<string>;
}

/**
 * A failure found after the branch commit was made (a conflict, a signal before integration): the
 * commit is made again (same tree, same parent) with that status, so the trailer says what
 * result.json says; the message then names the new commit. Returns the commit to record.
 */
export async function restampAfterFailure(stamped: StampedCommit | null, status: RunStatus, message: string): Promise<{ commit: string | null; message: string }> {
  if (!stamped || stamped.status === status) return { commit: stamped?.commit ?? null, message };
  const commit = await stamped.restamp(status).catch(() => null);
  if (!commit) return { commit: stamped.commit, message };
  // Messages name commits in full or by their first 12 characters (conflict-help.ts).
  const renamed = message.split(stamped.commit).join(commit).split(stamped.commit.slice(0, 12)).join(commit.slice(0, 12));
  return { commit, message: renamed };
}
