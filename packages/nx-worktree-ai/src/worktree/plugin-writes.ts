import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileVersion } from './apply';
import type { RepoInfo } from './repo';

/**
 * What nx-worktree-ai itself changed in the workspace and in git refs, appended as JSON lines to
 * `<git common dir>/nx-worktree-ai/plugin-writes.jsonl` by the process that made the change, while it
 * holds the workspace lock. Batches run at the same time (Nx runs them in parallel): while one
 * batch's agent runs, another batch integrates its result into the workspace or moves its branch.
 * The integrity check of the first (worktree/integrity.ts) looks here to tell those writes from
 * what its own agent did.
 *
 * This is a record for attribution, not a security boundary: an agent running arbitrary commands as
 * the user could append to it too (SECURITY.md says what the checks can and cannot see).
 */
export type PluginWrite =
  /** A workspace file written (sig = fileSig of what was written, "absent" for a deletion). */
  | { kind: 'file'; path: string; sig: string }
  /** A ref created, moved (oid) or deleted (null). `HEAD` when the main worktree's HEAD is detached. */
  | { kind: 'ref'; ref: string; oid: string | null };

type Entry = PluginWrite & { t: number; pid: number };

/** Rewritten (keeping the last two days) once it grows past this. */
const MAX_BYTES = 1024 * 1024;
const KEEP_MS = 2 * 24 * 3600_000;

export function pluginWritesPath(repo: Pick<RepoInfo, 'commonDir'>): string {
  return join(repo.commonDir, 'nx-worktree-ai', 'plugin-writes.jsonl');
}

/** sha256 of mode and content; "absent" for a missing file. */
export function fileSig(file: FileVersion | null): string {
  if (!file) return 'absent';
  return createHash('sha256').update(file.mode).update('\0').update(file.content).digest('hex');
}

/** Appends entries. Call under the workspace lock, before (or right after) the change itself. */
export function recordPluginWrites(repo: Pick<RepoInfo, 'commonDir'>, writes: PluginWrite[], now = Date.now()): void {
  if (!writes.length) return;
  const file = pluginWritesPath(repo);
  mkdirSync(dirname(file), { recursive: true });
  rotate(file, now);
  appendFileSync(file, writes.map((w) => `${JSON.stringify({ ...w, t: now, pid: process.pid })}\n`).join(''));
}

/** Every entry recorded at or after `since` (ms). */
export function pluginWritesSince(repo: Pick<RepoInfo, 'commonDir'>, since: number): PluginWrite[] {
  let text: string;
  try {
    text = readFileSync(pluginWritesPath(repo), 'utf8');
  } catch {
    return [];
  }
  const out: PluginWrite[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as Entry;
      if (entry.t >= since) out.push(entry);
    } catch {
      // a torn line (a process killed mid-append): ignore it
    }
  }
  return out;
}

function rotate(file: string, now: number): void {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size < MAX_BYTES) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      try {
        return line && (JSON.parse(line) as Entry).t >= now - KEEP_MS;
      } catch {
        return false;
      }
    });
  writeFileSync(file, kept.length ? `${kept.join('\n')}\n` : '');
}

/** Records a ref write with the oid it now holds (read back from git by the caller). */
export function refWrite(ref: string, oid: string | null): PluginWrite {
  return { kind: 'ref', ref, oid };
}
