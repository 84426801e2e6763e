import { globMatcher } from '../batch/paths';
import { integrateFresh } from '../integrate/fresh';
import { withLock } from '../worktree/lock';
import { dropResult, storeResult } from '../worktree/result-cache';
import type { TreeFiles } from '../worktree/tree';
import { removeWorktree } from '../worktree/worktree';
import { writeArtifacts, type BatchResult } from '../results/result';
import type { CollectedWork } from './collect';
import { artifactFiles, finishResult } from './record';
import type { BatchRun } from '../resolve/resolve';
import type { RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

/**
 * A successful run's work: stored in the result cache, brought into the workspace
 * (integrate/fresh.ts), its artifacts written, its worktree removed. Stored first, in the same hold
 * of the lock as the integration: a crash at any point after the store leaves a result the next run
 * replays (files already applied are left alone), never applied files that the next run would call
 * an empty change. A result that cannot be integrated (a conflict) is dropped from the cache again,
 * so the next run asks the agent anew.
 */
export async function deliverResult(state: RunState, placed: PlacedWorktree, record: RunRecord, work: CollectedWork, commit: string): Promise<BatchResult> {
  const { run, options, ctx, repo, lock, branch, life, clock, cacheKey } = state;
  life.checkpoint('before integration', branch);
  clock.mark('collect');
  const result = finishResult(state, record, work.outcome.status, null);
  const files = artifactFiles(state, record, result);
  // An empty result (allowEmpty) is never stored: a replay of "nothing" would pass for work done.
  const store = options.resultCache && work.outcome.status === 'succeeded';
  await withLock(lock, async () => {
    if (store) await storeResult(repo, cacheKey, onlyOutputs(work.resultFiles, run), files, commit);
    try {
      await integrateFresh(run, repo, { root: ctx.root, log: ctx.log, redact: ctx.redact, patch: record.patch, commit, branch, life });
    } catch (error) {
      if (store) await dropResult(repo, cacheKey).catch(() => undefined);
      throw error;
    }
  });
  writeArtifacts(ctx.root, run.artifactDir, files);
  clock.mark('integrate');
  // A removal that fails is left to cleanUp (finish.ts), as before: the result is delivered.
  if (!options.keepWorktree) await withLock(lock, () => removeWorktree(repo, placed.worktree)).then(() => (record.removed = true), () => undefined);
  return result;
}

/** The files of `files` that match the batch's outputs. */
function onlyOutputs(files: TreeFiles, run: BatchRun): TreeFiles {
  const isOutput = globMatcher(run.outputGlobs);
  return new Map([...files].filter(([path]) => isOutput(path)));
}
