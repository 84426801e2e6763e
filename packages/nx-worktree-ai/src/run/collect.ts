import { rmSync } from 'node:fs';
import { applyEntries, collectChanges, type CollectedChange } from '../worktree/changes';
import { checkIntegrity } from '../guard/integrity';
import { withLock } from '../worktree/lock';
import type { TreeFiles } from '../worktree/tree';
import type { AgentOutcome } from './attempts';
import { judgeWork } from './guard';
import type { Outcome } from './outcome';
import type { PreparedRun } from './prepare';
import type { LastSession } from './resume';
import type { RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

export interface CollectedWork {
  change: CollectedChange;
  /** The workspace's files as the batch leaves them: the snapshot with the change. */
  resultFiles: TreeFiles;
  outcome: Outcome;
}

/** After the agent: the work collected from the worktree, what reached outside it, and what the run ends as. */
export async function collectWork(state: RunState, placed: PlacedWorktree, prepared: PreparedRun, record: RunRecord, agent: AgentOutcome, last: LastSession | null): Promise<CollectedWork> {
  const { repo, lock, snapshot } = state;
  // "Nobody in": what changed outside the worktree while the agent ran (guard/integrity.ts).
  // A check that cannot run fails the batch safe, but never before the work is on the branch.
  // The work is collected from the worktree meanwhile: it reads only the worktree, and neither is done without the other.
  rmSync(prepared.promptFile, { force: true });
  const [observed, change] = await Promise.all([
    withLock(lock, () => checkIntegrity(placed.scope, prepared.before)).catch((e: Error) => [`(the check itself failed: ${e.message})`]),
    collectChanges(repo, placed.worktree, snapshot.commit),
  ]);
  const { totals } = agent;
  Object.assign(record.base, { sessionId: totals.sessionId, turns: totals.turns, tokens: totals.tokens, costUsd: totals.costUsd });
  if (agent.attempts) record.base.attempts = agent.attempts;
  const resultFiles = applyEntries(snapshot.files, change.entries);
  const outcome = await judgeWork(state, placed, record, {
    observed,
    change,
    resultFiles,
    failure: agent.failure,
    verifyFailure: agent.verifyFailure ?? null,
    permissionDenials: totals.permissionDenials,
    resumedFiles: last?.filesChanged.length ?? 0,
  });
  return { change, resultFiles, outcome };
}
