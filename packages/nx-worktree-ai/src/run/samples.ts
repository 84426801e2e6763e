import { BatchFailure } from '../results/failure';
import { writeArtifacts, type BatchResult } from '../results/result';
import { releaseBranch } from '../recovery/release';
import { keepUnintegratedBranch } from '../worktree/branch';
import { git } from '../worktree/git';
import { withLock } from '../worktree/lock';
import { recordPluginWrites, refWrite } from '../worktree/plugin-writes';
import { defaultWorktreeBase, type RepoInfo } from '../worktree/repo';
import { pointBranch, removeWorktree } from '../worktree/worktree';
import { deliverResult } from './deliver';
import { cleanUp, failureOf } from './finish';
import { interruptedMessage } from './outcome';
import { artifactFiles, finishResult } from './record';
import { runSample, sampleRecord, sampleState, type SampleOutcome } from './sample-run';
import type { RunState } from './state';

/**
 * `samples: N`: N independent runs of the batch at once, each in its own worktree on its own
 * branch (and each taking a slot of its agent when `agentConcurrency` caps it). The first sample
 * whose work passes verify and the guards is applied, as a single run's would be; the others are
 * stopped, their work kept on their sample branches until `nx g nx-worktree-ai:prune`.
 */
export async function runSamples(state: RunState): Promise<BatchResult> {
  const { run, ctx, repo, lock, options } = state;
  // Refuses when another live run holds this batch (its samples' branches would be taken from under it).
  await withLock(lock, () => releaseBranch(repo, state.branch, options.worktreeDir ?? defaultWorktreeBase(ctx.root), ctx.log));
  const stops = run.samples.map(() => new AbortController());
  ctx.log(`[${run.label}] ${run.samples.length} samples at once (${run.samples.join(', ')}); the first whose work passes verify is applied`);
  let chosen: SampleOutcome | null = null;
  const outcomes = await Promise.all(
    run.samples.map(async (agent, i) => {
      const outcome = await runSample(sampleState(state, i + 1, agent, stops[i].signal), i + 1);
      if (!chosen && outcome.work?.outcome.ok && outcome.commit && !outcome.stopped) {
        chosen = outcome;
        stops.forEach((stop, j) => j !== i && stop.abort());
        if (run.samples.length > 1) ctx.log(`[${run.label}] sample ${i + 1} passed: it is applied; the others are stopped`);
      }
      return outcome;
    }),
  );
  await removeOthers(state, outcomes, chosen);
  const winner = chosen as SampleOutcome | null;
  if (!winner) return failAll(state, outcomes);
  return deliverChosen(state, winner, outcomes);
}

/** The worktrees of the samples not applied are removed (kept with keepWorktree); their branches stay. */
async function removeOthers({ options, ctx, repo, lock }: RunState, outcomes: SampleOutcome[], chosen: SampleOutcome | null): Promise<void> {
  for (const s of outcomes) {
    if (s === chosen || !s.placed) continue;
    if (options.keepWorktree) ctx.log(`[${s.state.run.label}] worktree kept at ${s.placed.worktree.dir}`);
    else await withLock(lock, () => removeWorktree(repo, s.placed!.worktree)).catch(() => undefined);
  }
}

/** The chosen sample's commit becomes the batch branch's, then it is delivered like a single run's result. */
async function deliverChosen(state: RunState, chosen: SampleOutcome, outcomes: SampleOutcome[]): Promise<BatchResult> {
  const { options, ctx, repo, lock, branch } = state;
  const record = chosen.record!;
  const sampleBranch = chosen.state.branch;
  const moveTo = async (commit: string) => {
    await releaseBranch(repo, branch, options.worktreeDir ?? defaultWorktreeBase(ctx.root), ctx.log);
    const kept = await keepUnintegratedBranch(repo, branch);
    if (kept) ctx.log(`[${state.run.label}] earlier unintegrated work on ${branch} kept as branch ${kept}`);
    await pointBranch(repo, branch, commit);
  };
  await withLock(lock, () => moveTo(chosen.commit!));
  // A failure found later commits the work again with its status: on the batch branch too.
  const stamped = record.stamped!;
  record.stamped = {
    ...stamped,
    restamp: async (status) => {
      const commit = await stamped.restamp(status);
      await withLock(lock, () => pointBranch(repo, branch, commit));
      return commit;
    },
  };
  record.base.branch = branch;
  record.base.samples = outcomes.map((s) => sampleRecord(s, s === chosen ? branch : null));
  const delivered = { ...chosen.state, branch };
  try {
    const result = await deliverResult(delivered, chosen.placed!, record, chosen.work!, chosen.commit!);
    // Its work is on the batch branch now: the sample branch would only repeat it.
    await withLock(lock, () => deleteBranch(repo, sampleBranch, chosen.commit!)).catch(() => undefined);
    return result;
  } catch (error) {
    throw await failureOf(delivered, record, error);
  } finally {
    await cleanUp(delivered, chosen.placed!.worktree, record);
  }
}

/** Deletes `branch` if it still points at `tip`, recorded as the plugin's own write (what the integrity check of other runs tells apart). */
async function deleteBranch(repo: RepoInfo, branch: string, tip: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  recordPluginWrites(repo, [refWrite(ref, null)]);
  await git(repo.root, ['update-ref', '-d', ref, tip]);
}

/** No sample passed: the batch fails naming each sample's end and branch; nothing is applied. */
function failAll(state: RunState, outcomes: SampleOutcome[]): never {
  const samples = outcomes.map((s) => sampleRecord(s, null));
  const signal = state.life.guard.received;
  const each = samples.map((s) => `sample ${s.k} (${s.agent}, branch ${s.branch}): ${s.error ?? s.status}`).join(' | ');
  const message = signal
    ? interruptedMessage(signal, 'while the samples ran') + ` Samples: ${each}`
    : `none of the ${samples.length} samples passed: ${each}. Nothing was applied; each sample's work is on its branch.`;
  const first = outcomes.find((s) => s.record);
  if (!first?.record) throw new BatchFailure(message, null);
  Object.assign(first.record.base, { samples, branch: first.state.branch });
  const result = finishResult(state, first.record, signal ? 'interrupted' : 'failed', message);
  writeArtifacts(state.ctx.root, state.run.artifactDir, artifactFiles(state, first.record, result));
  throw new BatchFailure(message, result);
}
