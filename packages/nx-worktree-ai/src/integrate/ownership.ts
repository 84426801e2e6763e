import { readWorkspaceFile, type FileVersion } from '../worktree/apply';
import { blobOid, type PatchFile, type PatchSide } from './patch';

/**
 * Who a workspace file belongs to, relative to one file of a batch's change:
 * - `result`: it already holds what the batch made (nothing to do; a rerun is idempotent);
 * - `base`: it still holds what the batch started from (or, for a file the batch created,
 *   nothing): the batch's, to write;
 * - `user`: anything else (an edit, committed or not, a deletion, another batch's version): the
 *   user's, never overwritten by a replay.
 */
export type Owner = 'result' | 'base' | 'user';

export interface Owned {
  file: PatchFile;
  owner: Owner;
  /** The workspace file as it is (null: none). */
  ours: FileVersion | null;
}

export function ownerOf(file: PatchFile, ours: FileVersion | null): Owner {
  if (holds(ours, file.after)) return 'result';
  if (holds(ours, file.before)) return 'base';
  return 'user';
}

/** The ownership of every file of a change, read from the workspace. */
export function readOwnership(workspaceRoot: string, files: PatchFile[]): Owned[] {
  return files.map((file) => {
    const ours = readWorkspaceFile(workspaceRoot, file.path);
    return { file, ours, owner: ownerOf(file, ours) };
  });
}

/** Does the workspace file hold this side (mode and blob id; a side without an id: the mode)? */
function holds(ours: FileVersion | null, side: PatchSide | null): boolean {
  if (!ours || !side) return ours === side;
  if (ours.mode !== side.mode) return false;
  return side.oid === null || blobOid(ours.content, side.oid) === side.oid;
}
