import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isRetryable } from '../agents/failures';
import { retryLine } from '../agents/progress';
import type { AgentFailure, AgentResult } from '../agents/types';
import { parseDuration } from '../batch/duration';
import { acquireSlot, type ReleaseSlot } from '../utils/slots';
import type { RepoInfo } from '../worktree/repo';
import { resetWorktree } from '../worktree/worktree';
import type { GenerateOptions } from '../resolve/options';
import { runAgent, type AgentRunInput } from './agent';
import type { PreparedRun } from './prepare';
import type { BatchRun } from '../resolve/resolve';
import { proveWork, type AttemptRecord } from './fix-loop';
import { carryOverWork, type LastSession } from './resume';
import { addAttempt, backoffDelay, emptyTotals, type AttemptTotals } from './retry';
import type { RunContext, RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

export interface AgentOutcome {
  totals: AttemptTotals;
  failure: AgentFailure | null;
  /** With verify: each agent run and the check after it. */
  attempts?: AttemptRecord[];
  /** With verify: why the work never passed it (the run fails), else null. */
  verifyFailure?: string | null;
  /** The result event of the last agent run (what its session reported), null when it gave none. */
  lastResult?: AgentResult | null;
}

/** The agent's turn: a session slot when they are capped, then its attempts; the transcript goes on the record. */
export async function agentStage(state: RunState, placed: PlacedWorktree, prepared: PreparedRun, last: LastSession | null, record: RunRecord): Promise<AgentOutcome> {
  const { run, options, ctx, repo, prompt, branch, clock, life, snapshot } = state;
  const release = await takeAgentSlot(run, options, ctx, repo);
  clock.mark('slotWait');
  life.checkpoint('before the agent started');
  const input: AgentRunInput = {
    bin: placed.bin,
    worktree: placed.worktree,
    prompt,
    promptFile: prepared.promptFile,
    transcript: record.transcript,
    stderr: record.stderr,
    last,
    snapshot: snapshot.commit,
    snapshotFiles: snapshot.files,
    repo,
    sandbox: placed.sandbox,
    branch,
    onStart: (pid) => life.agentStarted(pid),
    stop: state.sample?.stop,
  };
  // The fixes of a batch with verify continue the same session: they hold the same slot.
  const verify = run.verify;
  const attempts = await runAttempts(run, options, ctx, input)
    .then((first) => (verify ? proveWork(state, verify, input, first) : first))
    .finally(release);
  clock.mark('agent');
  life.agentStarted(null);
  return attempts;
}

/**
 * Runs the agent, and again (from a clean worktree, after a backoff with full jitter) while it
 * fails rate limited or overloaded, at most `retries` more times. Usage is summed over attempts.
 */
async function runAttempts(run: BatchRun, options: GenerateOptions, ctx: RunContext, input: AgentRunInput): Promise<AgentOutcome> {
  const attempts = options.retries + 1;
  const baseDelayMs = parseDuration(options.retryDelay);
  let totals = emptyTotals();
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await resetWorktree(input.worktree, input.snapshot);
    if (input.last) {
      const restored = await carryOverWork(input.repo, input.worktree, input.snapshotFiles, input.last, run.label);
      if (attempt === 1) {
        const files = restored.length ? ` with its work restored (${restored.length} file(s))` : '';
        ctx.log(`[${run.label}] resuming session ${input.last.sessionId}${files}`);
      }
    }
    const { agentResult, failure, countedTurns } = await runAgent(run, options, ctx, input, attempt);
    totals = addAttempt(totals, agentResult, countedTurns);
    if (!isRetryable(failure) || attempt >= attempts) {
      if (failure && isRetryable(failure) && attempts > 1) {
        return { totals, lastResult: agentResult, failure: { ...failure, message: `${failure.message} (gave up after ${attempts} attempts; the executor options retries and retryDelay set how long it tries)` } };
      }
      return { totals, failure, lastResult: agentResult };
    }
    const wait = backoffDelay(attempt, baseDelayMs);
    ctx.log(retryLine(run.label, attempt + 1, attempts, wait, failure!));
    input.transcript.push(JSON.stringify({ type: 'nx-worktree-ai', event: 'retry', attempt: attempt + 1, of: attempts, after: failure!.kind, delayMs: wait }));
    await delay(wait);
  }
}

/** Waits for a free session slot of the batch's agent when `agentConcurrency` caps it. */
async function takeAgentSlot(run: BatchRun, options: GenerateOptions, ctx: RunContext, repo: RepoInfo): Promise<ReleaseSlot> {
  const cap = options.agentConcurrency;
  const limit = typeof cap === 'number' ? cap : cap?.[run.agent];
  if (!limit) return async () => undefined;
  return acquireSlot(join(repo.commonDir, 'nx-worktree-ai', 'slots'), run.agent, limit, () =>
    ctx.log(`[${run.label}] waiting for a ${run.agent} slot (at most ${limit} at once)`),
  );
}
