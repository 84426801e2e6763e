import type { BatchRun } from '../resolve/resolve';
import { conflictMessage } from './conflict-help';
import { BatchFailure } from '../results/failure';
import type { IntegrationLife } from './life';
import { loadVersions, type PathChange } from '../worktree/apply';
import type { RepoInfo } from '../worktree/repo';
import type { Redactor } from '../utils/redact';
import { commitSubject } from '../results/commit-subject';
import { carryOut } from './carry-out';
import { planChange, type ChangePlan } from './plan';

export interface FreshInput {
  root: string;
  log: (line: string) => void;
  redact?: Redactor;
  /** The change as a patch (worktree/changes.ts diffPatch), unredacted. */
  patch: string;
  /** The batch's commit on its branch. */
  commit: string;
  branch: string;
  life: IntegrationLife;
}

/**
 * A fresh result into the workspace, under the workspace lock: all-or-nothing with the ownership
 * rule (integrate/plan.ts), a file the user edited during the run merged 3-way when that is clean;
 * a clash fails the batch and touches nothing.
 */
export async function integrateFresh(run: BatchRun, repo: RepoInfo, input: FreshInput): Promise<void> {
  if (run.apply === 'branch' || !input.patch) return;
  const plan = await planChange(repo.root, input.root, input.patch, 'fresh');
  if (plan.conflicts.length) {
    const target = process.env.NX_TASK_TARGET_TARGET || `ai-generate--${run.spec.name}`;
    const rerun = `npx nx run ${run.project}:${target} --skip-nx-cache`;
    const changes = await pathChanges(repo, plan);
    throw new BatchFailure(conflictMessage({ root: input.root, branch: input.branch, commit: input.commit, changes, plan, rerun }), null);
  }
  await carryOut(repo, plan, {
    label: run.label,
    apply: run.apply,
    subject: commitSubject(run.label, run.spec.frontmatter.description, input.redact),
    log: input.log,
    write: (p) => input.life.apply(input.root, p),
  });
  input.life.integrated();
}

/** Base and result of every file of the change, for the conflict message's commands. */
async function pathChanges(repo: RepoInfo, plan: ChangePlan): Promise<PathChange[]> {
  const entry = (side: { mode: string; oid: string | null } | null) => (side?.oid ? { mode: side.mode, oid: side.oid } : undefined);
  const [bases, theirs] = await Promise.all([loadVersions(repo.root, plan.files.map((f) => entry(f.before))), loadVersions(repo.root, plan.files.map((f) => entry(f.after)))]);
  return plan.files.map((f, i) => ({ path: f.path, base: bases[i], theirs: theirs[i] }));
}
