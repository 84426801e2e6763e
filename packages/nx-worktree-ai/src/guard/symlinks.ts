import { posix } from 'node:path';
import { readBlob, type TreeFiles } from '../worktree/tree';

/**
 * Symlinks among `paths` (in `files`, the result tree) whose target is absolute, climbs out of the
 * worktree, or leads into a .git folder: applied to the workspace, they would point it anywhere.
 */
export async function escapingSymlinks(repoRoot: string, files: TreeFiles, paths: string[]): Promise<string[]> {
  const findings: string[] = [];
  for (const path of paths) {
    const entry = files.get(path);
    if (!entry || entry.mode !== '120000') continue;
    const target = (await readBlob(repoRoot, entry.oid)).toString('utf8');
    const why = symlinkEscape(path, target);
    if (why) findings.push(`created the symlink ${path} -> ${target} (${why})`);
  }
  return findings;
}

/** Why a symlink at `path` (repo-relative) with `target` escapes, or null. */
export function symlinkEscape(path: string, target: string): string | null {
  const t = target.replace(/\\/g, '/');
  if (t.startsWith('/') || /^[A-Za-z]:/.test(t) || t.startsWith('~')) return 'an absolute target, outside the worktree';
  const resolved = posix.normalize(posix.join(posix.dirname(path), t));
  if (resolved === '..' || resolved.startsWith('../')) return 'it points outside the worktree';
  if (resolved.split('/').includes('.git')) return 'it points into .git';
  return null;
}
