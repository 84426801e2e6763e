import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readWorkspaceFile, type FileVersion } from '../worktree/apply';
import { gitRaw } from '../worktree/git';
import { blobOid, type PatchFile } from './patch';

/**
 * What the batch made of each file, from the patch alone: the files' bases are copied into a
 * scratch folder outside any repository and `git apply` (which handles binary and symlink patches)
 * runs there, so neither the workspace nor the user's index is touched. Each result is checked
 * against the post-image blob id of the patch: a patch that does not reproduce the batch's files
 * (edited or redacted by hand) is refused rather than written.
 */
export async function postImages(files: PatchFile[], bases: Map<string, FileVersion | null>): Promise<Map<string, FileVersion | null>> {
  const results = new Map<string, FileVersion | null>();
  if (!files.length) return results;
  const scratch = mkdtempSync(join(tmpdir(), 'nx-worktree-ai-apply-'));
  try {
    const dir = join(scratch, 'files');
    mkdirSync(dir);
    for (const file of files) {
      const base = bases.get(file.path);
      if (base) writeBase(dir, file.path, base);
    }
    // Outside any repository: the ceiling keeps git from finding one above the scratch folder.
    await gitRaw(dir, ['apply', '-'], { input: files.map((f) => f.text).join(''), env: { GIT_CEILING_DIRECTORIES: scratch, GIT_DIR: undefined, GIT_WORK_TREE: undefined, GIT_INDEX_FILE: undefined } });
    for (const file of files) {
      const made = readWorkspaceFile(dir, file.path);
      const ok = file.after ? !!made && made.mode === file.after.mode && (file.after.oid === null || blobOid(made.content, file.after.oid) === file.after.oid) : made === null;
      if (!ok) throw new Error(`the patch does not reproduce the batch's version of ${file.path} (it was changed after the run)`);
      results.set(file.path, made);
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function writeBase(dir: string, path: string, base: FileVersion): void {
  const abs = join(dir, path);
  mkdirSync(dirname(abs), { recursive: true });
  if (base.mode === '120000') symlinkSync(base.content.toString('utf8'), abs);
  else {
    writeFileSync(abs, base.content);
    chmodSync(abs, base.mode === '100755' ? 0o755 : 0o644);
  }
}
