import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readWorkspaceFile, type FileVersion } from '../worktree/apply';
import { gitRaw } from '../worktree/git';
import { blobOid, type PatchFile } from './patch';

/**
 * What the batch made of each file. From the patch alone when the repository lacks the result's
 * blob (a patch Nx restored from a teammate's run): the files' bases are copied into a
 * scratch folder outside any repository and `git apply` (which handles binary and symlink patches)
 * runs there, so neither the workspace nor the user's index is touched. Each result is checked
 * against the post-image blob id of the patch: a patch that does not reproduce the batch's files
 * (edited, or redacted since) is refused rather than written.
 */
export async function postImages(repoRoot: string, all: PatchFile[], bases: Map<string, FileVersion | null>): Promise<Map<string, FileVersion | null>> {
  const results = new Map<string, FileVersion | null>();
  // A deletion needs no bytes; a result whose blob the repository holds (a fresh run, a result-cache
  // record) is read as is, which also covers a patch whose text was redacted.
  const known = await knownBlobs(repoRoot, all.flatMap((f) => (f.after?.oid ? [f.after.oid] : [])));
  const files: PatchFile[] = [];
  for (const file of all) {
    const blob = file.after?.oid ? known.get(file.after.oid) : undefined;
    if (!file.after) results.set(file.path, null);
    else if (blob) results.set(file.path, { mode: file.after.mode, content: blob });
    else files.push(file);
  }
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

/** The blobs of `oids` the repository holds (one `cat-file --batch`; missing ones are left out). */
async function knownBlobs(repoRoot: string, oids: string[]): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  const wanted = [...new Set(oids)];
  if (!wanted.length) return blobs;
  const { stdout } = await gitRaw(repoRoot, ['cat-file', '--batch'], { input: `${wanted.join('\n')}\n` });
  // Per object: "<oid> <type> <size>\n<content>\n", or "<name> missing\n".
  for (let at = 0; at < stdout.length; ) {
    const eol = stdout.indexOf(0x0a, at);
    const [oid, type, size] = stdout.subarray(at, eol).toString('utf8').split(' ');
    if (type !== 'blob' || size === undefined) {
      at = eol + 1;
      if (type !== 'missing' && size !== undefined) at += Number(size) + 1;
      continue;
    }
    blobs.set(oid, stdout.subarray(eol + 1, eol + 1 + Number(size)));
    at = eol + 1 + Number(size) + 1;
  }
  return blobs;
}
