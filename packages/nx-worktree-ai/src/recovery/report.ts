import type { SavedEdits } from '../worktree/saved-edits';
import type { Salvaged } from './salvage';

/** How recovery and prune run. */
export interface RecoverOptions {
  /** Also clean runs registered by another host (whose processes cannot be checked from here). */
  force?: boolean;
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface RecoveredRun {
  id: string;
  label: string;
  pid: number;
  host: string;
  startedAt: string;
  phase: string;
}

export interface RecoveryReport {
  /** Registry entries of dead runs, cleaned. */
  runs: RecoveredRun[];
  /** Runs still going (or on another host without `force`): left alone. */
  live: RecoveredRun[];
  /** Process groups of agents whose run was dead, killed. */
  agentsKilled: number[];
  worktreesRemoved: string[];
  /** Uncommitted work found in a worktree and committed before removing it. */
  salvaged: Salvaged[];
  /** Workspace paths put back from the journal of an integration that did not finish. */
  restored: string[];
  /** Journal paths changed by someone since: left alone. */
  notRestored: string[];
  tempFiles: string[];
  /** Prune only: batch branches deleted, and kept with the reason. */
  branchesDeleted: string[];
  branchesKept: Array<{ branch: string; reason: string }>;
  /** Prune only: uncommitted edits replays overwrote (saved-edits.ts), kept, and deleted (--force). */
  savedEditsKept: SavedEdits[];
  savedEditsDeleted: string[];
}

export function emptyReport(): RecoveryReport {
  return { runs: [], live: [], agentsKilled: [], worktreesRemoved: [], salvaged: [], restored: [], notRestored: [], tempFiles: [], branchesDeleted: [], branchesKept: [], savedEditsKept: [], savedEditsDeleted: [] };
}
