import { git } from './git';
import { recordPluginWrites, refWrite } from './plugin-writes';
import type { RepoInfo } from './repo';
import { readCommitRefs, revParse } from './tree';

/**
 * Uncommitted edits a replay overwrote, kept as the snapshot commit that holds them: one ref per
 * save, `refs/nx-worktree-ai/saved-edits/<project>/<batch>/<time>` (a second save within the same
 * second gets -2, -3, ...), so no later save ever replaces an earlier one. `git checkout <ref> -- <path>`
 * gives an edit back; prune lists them and deletes them only with --force.
 *
 * Versions before this kept one ref per batch, `refs/nx-worktree-ai/overwritten/<project>/<batch>`,
 * replaced by each save. Those are listed and deleted the same way; new saves go to their own
 * namespace, because git cannot have both `.../<batch>` and `.../<batch>/<time>` as refs.
 */
export const SAVED_EDITS_PREFIX = 'refs/nx-worktree-ai/saved-edits/';
export const LEGACY_SAVED_EDITS_PREFIX = 'refs/nx-worktree-ai/overwritten/';

export interface SavedEdits {
  ref: string;
  commit: string;
  /** When the edits were saved (the snapshot's commit time), seconds since the epoch. */
  savedAt: number;
}

/** Keeps `commit` (a snapshot holding the edits) under a ref of its own; returns the ref. Call under the workspace lock. */
export async function saveOverwritten(repo: RepoInfo, project: string, batch: string, commit: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  let ref = `${SAVED_EDITS_PREFIX}${project}/${batch}/${stamp}`;
  for (let n = 2; await revParse(repo.root, ref); n++) ref = `${SAVED_EDITS_PREFIX}${project}/${batch}/${stamp}-${n}`;
  recordPluginWrites(repo, [refWrite(ref, commit)]);
  // The empty old value: create only, never move a ref that holds other edits.
  await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: edits a replay overwrote', ref, commit, '']);
  return ref;
}

/** Every save, oldest first. */
export async function listSavedEdits(repo: RepoInfo): Promise<SavedEdits[]> {
  const refs = await readCommitRefs(repo.root, [SAVED_EDITS_PREFIX, LEGACY_SAVED_EDITS_PREFIX]);
  return refs.map((r) => ({ ref: r.ref, commit: r.oid, savedAt: r.committedAt })).sort((a, b) => a.savedAt - b.savedAt || a.ref.localeCompare(b.ref));
}

export async function deleteSavedEdits(repo: RepoInfo, saved: SavedEdits): Promise<void> {
  recordPluginWrites(repo, [refWrite(saved.ref, null)]);
  await git(repo.root, ['update-ref', '-d', saved.ref, saved.commit]);
}
