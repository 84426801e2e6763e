import { git } from './git';
import { recordPluginWrites, refWrite } from './plugin-writes';
import type { RepoInfo } from './repo';
import { readCommitRefs } from './tree';

/**
 * Uncommitted edits that replays of earlier versions overwrote, kept as the snapshot commits that
 * hold them: `refs/nx-worktree-ai/saved-edits/<project>/<batch>/<time>` (one per save) and, older,
 * `refs/nx-worktree-ai/overwritten/<project>/<batch>`. A replay now never overwrites an edit (the
 * ownership rule of integrate/), so none are made; prune lists those that exist and deletes them
 * only with --force. `git checkout <ref> -- <path>` gives an edit back.
 */
export const SAVED_EDITS_PREFIX = 'refs/nx-worktree-ai/saved-edits/';
export const LEGACY_SAVED_EDITS_PREFIX = 'refs/nx-worktree-ai/overwritten/';

export interface SavedEdits {
  ref: string;
  commit: string;
  /** When the edits were saved (the snapshot's commit time), seconds since the epoch. */
  savedAt: number;
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
