import { globMatcher } from '../batch/paths';
import { integrateFresh } from '../integrate/fresh';
import { withLock } from '../worktree/lock';
import { storeResult } from '../worktree/result-cache';
import type { TreeFiles } from '../worktree/tree';
import { removeWorktree } from '../worktree/worktree';
import { writeArtifacts, type BatchResult } from '../results/result';
import type { CollectedWork } from './collect';
import { artifactFiles, finishResult } from './record';
import type { BatchRun } from '../resolve/resolve';
import type { RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

/** A successful run's work into the workspace (integrate/fresh.ts), stored in the result cache, its artifacts written. */
export async function deliverResult(state: RunState, placed: PlacedWorktree, record: RunRecord, work: CollectedWork, commit: string): Promise<BatchResult> {
  const { run, options, ctx, repo, lock, branch, life, clock, cacheKey } = state;
  life.checkpoint('before integration', branch);
  clock.mark('collect');
  await withLock(lock, () => integrateFresh(run, repo, { root: ctx.root, log: ctx.log, redact: ctx.redact, patch: record.patch, commit, branch, life }));
  const result = finishResult(state, record, work.outcome.status, null);
  const files = artifactFiles(state, record, result);
  // Right after the integration: a crash from here on leaves applied files with their result.json
  // (the store and the worktree's removal below take longer, and a later run recovers both).
  writeArtifacts(ctx.root, run.artifactDir, files);
  clock.mark('integrate');
  // The result is stored while the worktree goes: one hold of the lock, both at once.
  const [stored] = await withLock(lock, () =>
    Promise.allSettled([
      // An empty result (allowEmpty) is never stored: a replay of "nothing" would pass for work done.
      options.resultCache && work.outcome.status === 'succeeded' ? storeResult(repo, cacheKey, onlyOutputs(work.resultFiles, run), files, commit) : null,
      options.keepWorktree ? null : removeWorktree(repo, placed.worktree).then(() => (record.removed = true)),
    ]),
  );
  if (stored.status === 'rejected') throw stored.reason;
  return result;
}

/** The files of `files` that match the batch's outputs. */
function onlyOutputs(files: TreeFiles, run: BatchRun): TreeFiles {
  const isOutput = globMatcher(run.outputGlobs);
  return new Map([...files].filter(([path]) => isOutput(path)));
}
