import { replay, lookupReplayable } from '../integrate/replay';
import { phaseClock } from '../utils/phases';
import { noRedaction } from '../utils/redact';
import { RunInterrupted } from '../utils/signal-guard';
import { lockPath, readRepoInfo } from '../worktree/repo';
import { sharedSnapshot, type PendingSnapshot } from '../worktree/snapshot';
import { batchBranchName } from '../worktree/worktree';
import { gitProcessCount } from '../worktree/git';
import { resultCacheKey } from './cache-key';
import { renderPrompt } from './prompt';
import type { BatchResult } from '../results/result';
import type { GenerateOptions } from '../resolve/options';
import { agentStage } from './attempts';
import { collectWork } from './collect';
import { commitWork } from './commit';
import { beginRun } from './crash-safety';
import { deliverResult } from './deliver';
import { BatchFailure } from '../results/failure';
import { findAgent } from './find-agent';
import { cleanUp, failureOf, failWithOutcome } from './finish';
import { prepareRun } from './prepare';
import { startRecord } from './record';
import type { BatchRun } from '../resolve/resolve';
import { lastSessionOrFail } from './resume';
import type { RunContext, RunState } from './state';
import { placeWorktree } from './worktree';
import { runSamples } from './samples';

export { BatchFailure, type RunContext };

/**
 * One run of one batch, resolved and validated before (resolve.ts). It starts crash-safe with a
 * snapshot of the workspace (crash-safety.ts), then goes through its stages (runStages).
 */
export async function runBatch(run: BatchRun, options: GenerateOptions, ctx: RunContext): Promise<BatchResult> {
  const startedAt = new Date();
  const clock = phaseClock();
  const gitBefore = gitProcessCount();
  const repo = await readRepoInfo(ctx.root);
  const lock = lockPath(repo);
  const prompt = renderPrompt(run);
  const branch = batchBranchName(run.project, run.spec.name);
  // Crash safety: clean up after dead runs, register this one, hold signals until it ends.
  let chosen: PendingSnapshot | undefined;
  const life = await beginRun(repo, lock, { root: ctx.root, project: run.project, batch: run.spec.name, branch }, ctx.log, async () => {
    clock.mark('start');
    chosen = await sharedSnapshot(repo);
  });
  try {
    const snapshot = { ...chosen!, files: await chosen!.files };
    clock.mark('snapshot');
    const cacheKey = resultCacheKey(run, prompt, options.agentArgs, snapshot.files);
    return await runStages({ run, options, ctx, redact: ctx.redact ?? noRedaction, startedAt, clock, gitBefore, repo, lock, prompt, branch, life, snapshot, cacheKey });
  } catch (error) {
    if (error instanceof RunInterrupted) throw new BatchFailure(error.message, null);
    throw error;
  } finally {
    life.end();
  }
}

/** The stages, in order: a replay of a stored result, or the agent's run in its own worktree. */
async function runStages(state: RunState): Promise<BatchResult> {
  const { run, options, ctx, repo } = state;
  // resume: continue the last session; a stored result would not be a continuation.
  const last = options.resume ? lastSessionOrFail(ctx.root, run) : null;
  const hit = options.resultCache && !last ? await lookupReplayable(repo, state.cacheKey) : null;
  if (hit) return replay(run, ctx, repo, { hit, snapshot: state.snapshot.commit, snapshotFiles: state.snapshot.files, branch: state.branch, cacheKey: state.cacheKey, startedAt: state.startedAt, life: state.life });
  if (run.samples.length > 1) {
    if (last) throw new BatchFailure(`resume continues one session, and ${run.spec.file} runs ${run.samples.length} samples: run it without --resume`, null);
    return runSamples(state);
  }

  const agent = findAgent(state);
  const placed = await placeWorktree(state, agent);
  const record = startRecord(state, placed.version);
  try {
    const prepared = await prepareRun(state, placed);
    const attempts = await agentStage(state, placed, prepared, last, record);
    const work = await collectWork(state, placed, prepared, record, attempts, last);
    const commit = await commitWork(state, placed, record, work);
    if (!work.outcome.ok) failWithOutcome(state, record, work.outcome);
    return await deliverResult(state, placed, record, work, commit);
  } catch (error) {
    throw await failureOf(state, record, error);
  } finally {
    await cleanUp(state, placed.worktree, record);
  }
}
