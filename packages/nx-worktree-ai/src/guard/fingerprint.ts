import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { listDir } from '../utils/files';
import { fileSig } from '../worktree/plugin-writes';

// Signatures of files and folders, compared before and after the agent's run.

const MAX_WALK_ENTRIES = 5000;

/** [path, "created" | "changed" | "deleted"] for every path whose signature differs. */
export function changedFiles(before: Map<string, string>, after: Map<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [was, now] = [before.get(path) ?? 'absent', after.get(path) ?? 'absent'];
    if (was === now) continue;
    out.push([path, was === 'absent' ? 'created' : now === 'absent' ? 'deleted' : 'changed']);
  }
  return out;
}

/** Files below `dir` (symlinks not followed), at most MAX_WALK_ENTRIES. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const name of listDir(d)) {
      if (out.length >= MAX_WALK_ENTRIES) return;
      const path = join(d, name);
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory() && depth < 8) visit(path, depth + 1);
      else out.push(path);
    }
  };
  visit(dir, 0);
  return out;
}

/** lstat signature; "absent" when missing. Folders: "dir" only (`dirAsType`) or with mtime. */
export function statSig(path: string, dirAsType = false): string {
  try {
    const s = lstatSync(path, { bigint: true });
    if (dirAsType && s.isDirectory()) return 'dir';
    return `${s.mode}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch {
    return 'absent';
  }
}

/** Content and mode signature of a small file (config, hooks); "absent" when missing. */
export function contentSig(path: string): string {
  try {
    const s = lstatSync(path);
    if (s.isSymbolicLink()) return `link:${readLinkSafe(path)}`;
    if (!s.isFile()) return `other:${s.mode}`;
    return fileSig({ mode: String(s.mode), content: readFileSync(path) });
  } catch {
    return 'absent';
  }
}

function readLinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

export function splitLines(text: string): string[] {
  return text.split('\n').filter(Boolean);
}
