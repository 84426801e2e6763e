import type { IntegrationPlan } from '../worktree/apply';

/**
 * What integration needs of the run around it (run/crash-safety.ts's RunLifecycle gives it):
 * declared here so integrate/ does not import the run pipeline that calls it.
 */
export interface IntegrationLife {
  /** Throws RunInterrupted when a signal arrived; `stage` says where ("before the replay"). */
  checkpoint(stage: string, branch?: string): void;
  /** Writes the plan to the workspace, journaled. */
  apply(root: string, plan: IntegrationPlan): void;
  /** Integration is complete (commit included): the journal can go. */
  integrated(): void;
}
