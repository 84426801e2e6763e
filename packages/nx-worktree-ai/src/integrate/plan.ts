import { treePathProblem } from '../batch/names';
import { loadVersions, mergeText, type FileVersion, type IntegrationPlan } from '../worktree/apply';
import { readOwnership } from './ownership';
import { parsePatch, type PatchFile } from './patch';
import { postImages } from './post-image';

/** What integrating one change does: the writes, and the files left to the user. */
export interface ChangePlan extends IntegrationPlan {
  /** Files the user changed since the batch's base: kept as they are (a replay). */
  kept: string[];
  files: PatchFile[];
}

/**
 * `fresh`: the batch just ran, so a file the user edited during the run may still be merged 3-way
 * (the blobs of both sides are in the repository); a clash is a conflict. `replay`: a stored
 * result (the plugin's result cache, or Nx's cache restoring changes.patch) never merges: a file
 * that holds neither the base nor the result is the user's and is kept.
 */
export type IntegrationMode = 'fresh' | 'replay';

/**
 * The one integration of a batch's change, for a fresh result and every replay alike: only the
 * files of the patch are looked at (nothing the batch did not touch is written or deleted), and a
 * file is written only where the workspace still holds the batch's base. Nothing is written here.
 */
export async function planChange(repoRoot: string, workspaceRoot: string, patch: string, mode: IntegrationMode): Promise<ChangePlan> {
  const files = parsePatch(patch);
  // Before anything is read or made: a path that could leave the workspace or reach into .git.
  for (const { path } of files) {
    const problem = treePathProblem(path);
    if (problem) throw new Error(`refusing the change: its path ${JSON.stringify(path)} ${problem}`);
  }
  const plan: ChangePlan = { writes: [], conflicts: [], merged: [], kept: [], files };
  const owned = readOwnership(workspaceRoot, files);
  const ours = owned.filter((o) => o.owner === 'base');
  const made = await postImages(
    repoRoot,
    ours.map((o) => o.file),
    new Map(ours.map((o) => [o.file.path, o.ours])),
  );
  for (const o of owned) {
    if (o.owner === 'base') plan.writes.push({ path: o.file.path, file: made.get(o.file.path) ?? null });
    else if (o.owner === 'user' && mode === 'replay') plan.kept.push(o.file.path);
    else if (o.owner === 'user') {
      const merged = await mergeWithUser(repoRoot, o.file, o.ours);
      if (merged) {
        plan.writes.push({ path: o.file.path, file: merged });
        plan.merged.push(o.file.path);
      } else plan.conflicts.push(o.file.path);
    }
  }
  return plan;
}

/** A fresh result's 3-way merge of the user's edit made during the run (null: it clashes). */
async function mergeWithUser(repoRoot: string, file: PatchFile, ours: FileVersion | null): Promise<FileVersion | null> {
  if (!file.before?.oid || !file.after?.oid) return null;
  const [base, theirs] = await loadVersions(repoRoot, [
    { mode: file.before.mode, oid: file.before.oid },
    { mode: file.after.mode, oid: file.after.oid },
  ]);
  return mergeText(repoRoot, base, ours, theirs);
}
