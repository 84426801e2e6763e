import { join } from 'node:path';
import type { AgentFailure } from '../agents/types';
import { globMatcher } from '../batch/paths';
import { blockedWrites } from '../sandbox';
import type { CollectedChange } from '../worktree/changes';
import { describeFindings, reachedOutsideMessage } from '../guard/messages';
import { escapingSymlinks } from '../guard/symlinks';
import type { TreeFiles } from '../worktree/tree';
import { ARTIFACTS } from '../results/result';
import { decideOutcome, type Outcome } from './outcome';
import type { BatchRun } from '../resolve/resolve';
import type { RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

export interface WorkFindings {
  /** What the integrity check saw change outside the worktree. */
  observed: string[];
  change: CollectedChange;
  resultFiles: TreeFiles;
  failure: AgentFailure | null;
  /** verify: why the work never passed the check, or null. */
  verifyFailure: string | null;
  permissionDenials: string[];
  /** resume: files the continued session changed in its earlier run. */
  resumedFiles: number;
}

/**
 * The guards on the collected work (what reached outside the worktree, symlinks leading out,
 * writes the sandbox refused, paths outside the outputs), then the run's status (outcome.ts).
 */
export async function judgeWork({ run, options, ctx, repo, branch, life }: RunState, placed: PlacedWorktree, record: RunRecord, work: WorkFindings): Promise<Outcome> {
  const { observed, change } = work;
  const changedPaths = change.files.filter((f) => f.status !== 'deleted').map((f) => f.path);
  const symlinks = await escapingSymlinks(repo.root, work.resultFiles, changedPaths).catch((e: Error) => [`(the symlink check failed: ${e.message})`]);
  const transcriptPath = join(run.artifactDir, ARTIFACTS.transcript);
  const warnOnly = options.integrity === 'warn' && observed.length > 0;
  if (warnOnly) ctx.log(`[${run.label}] warning: ${describeFindings(observed)} (integrity: warn, so the result is applied anyway; see ${transcriptPath})`);
  const { confinement } = placed;
  // What a confined agent tried to write in the workspace or its git dir, refused by the sandbox.
  const refused = confinement ? blockedWrites([...record.transcript, ...record.stderr], [repo.root, repo.commonDir]).map((path) => `tried to write ${path} (refused by the sandbox)`) : [];
  const reached = [...(warnOnly ? [] : observed), ...symlinks, ...refused];
  return decideOutcome(run, {
    failure: work.failure,
    signal: life.guard.received,
    // A confined run's findings are the agent's own (only what it could write is compared).
    outside: reached.length ? reachedOutsideMessage(reached, branch, transcriptPath, observed.length > 0 && !warnOnly && !confinement) : null,
    scope: scopeViolation(run, change, branch),
    verify: work.verifyFailure,
    filesChanged: change.files.length,
    resumedFiles: work.resumedFiles,
    permissionDenials: work.permissionDenials,
    branch,
    transcriptPath,
  });
}

/** Scope guard: every changed path must match the batch's outputs. */
function scopeViolation(run: BatchRun, change: CollectedChange, branch: string): string | null {
  const isOutput = globMatcher(run.outputGlobs);
  const outside = change.files.filter((f) => !isOutput(f.path)).map((f) => f.path);
  if (!outside.length) return null;
  const shown = outside.slice(0, 10).join(', ') + (outside.length > 10 ? ` and ${outside.length - 10} more` : '');
  return (
    `the agent changed ${outside.length} path(s) outside the batch's outputs (${run.outputGlobs.join(', ')}): ${shown}. ` +
    `Nothing was applied; the work is on branch ${branch}. Widen "outputs" in ${run.spec.file} or tighten the prompt, then run again.`
  );
}
