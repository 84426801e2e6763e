import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { guardSignals, type SignalGuard } from '../utils/signal-guard';
import type { IntegrationPlan } from '../worktree/apply';
import { applyPlanJournaled } from '../worktree/journal';
import { withLock } from '../worktree/lock';
import { recoverStaleRuns } from '../recovery/recover';
import type { RepoInfo } from '../worktree/repo';
import { processStart, RunRegistration, runsDir } from '../worktree/runs';
import { interruptedMessage } from './outcome';

/**
 * The crash-safety side of one batch run (its stages are in run/index.ts):
 * - at the start, under the workspace lock, whatever dead runs left is cleaned up
 *   (recovery/recover.ts), then this run is registered (worktree/runs.ts);
 * - signals are held for the whole run (utils/signal-guard.ts) and checked at its checkpoints;
 * - workspace writes go through an apply journal (worktree/journal.ts);
 * - `end()` (in `finally`, idempotent) removes the journal and the registry entry.
 * A run killed outright (SIGKILL) leaves its registry entry behind: the next run or
 * `nx g nx-worktree-ai:prune` sees its process is dead and cleans up after it.
 */
export interface RunLifecycle {
  readonly registration: RunRegistration;
  readonly guard: SignalGuard;
  /** Throws RunInterrupted when a signal arrived; `stage` says where ("before integration"). */
  checkpoint(stage: string, branch?: string): void;
  /** Records the agent's process group (null once it exited). */
  agentStarted(pid: number | null): void;
  /** Writes the plan to the workspace, journaled. */
  apply(root: string, plan: IntegrationPlan): void;
  /** Integration is complete (commit included): the journal can go. */
  integrated(): void;
  end(): void;
}

export interface RunIdentity {
  root: string;
  project: string;
  batch: string;
  branch: string;
}

/**
 * `andThen` runs in the same hold of the workspace lock, once the run is registered (the snapshot:
 * one wait for the lock instead of two while six batches start at once); if it throws, the run ends.
 */
export async function beginRun(repo: RepoInfo, lock: string, id: RunIdentity, log: (line: string) => void, andThen?: () => Promise<void>): Promise<RunLifecycle> {
  const guard = guardSignals();
  let registration: RunRegistration;
  try {
    registration = await withLock(lock, async () => {
      await recoverStaleRuns(repo, { log });
      const started = RunRegistration.start(repo, { workspace: id.root, project: id.project, batch: id.batch, branch: id.branch });
      try {
        await andThen?.();
      } catch (error) {
        started.finish();
        throw error;
      }
      return started;
    });
  } catch (error) {
    guard.release();
    throw error;
  }
  const journalFile = join(runsDir(repo), `${registration.id}.journal.json`);
  let journal = false;
  return {
    registration,
    guard,
    checkpoint(stage, branch) {
      guard.check((signal) => interruptedMessage(signal, stage, branch));
    },
    agentStarted(pid) {
      registration.update(pid === null ? { agent: null, phase: 'collecting' } : { agent: { pid, start: processStart(pid) }, phase: 'agent' });
    },
    apply(root, plan) {
      if (!plan.writes.length) return;
      journal = true;
      registration.update({ journal: journalFile, phase: 'integrating' });
      applyPlanJournaled(root, plan, journalFile);
    },
    integrated() {
      if (journal) rmSync(journalFile, { force: true });
      journal = false;
      registration.update({ journal: null, phase: 'finishing' });
    },
    end() {
      // The process is alive here: an apply that failed was already undone by applyPlan itself.
      if (journal) rmSync(journalFile, { force: true });
      journal = false;
      registration.finish();
      guard.release();
    },
  };
}
