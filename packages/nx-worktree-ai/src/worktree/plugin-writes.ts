import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileVersion } from './apply';
import type { RepoInfo } from './repo';
import { linesFromEnd } from '../utils/lines-from-end';

/**
 * What nx-worktree-ai itself changed in the workspace and in git refs, appended as JSON lines to
 * `<git common dir>/nx-worktree-ai/plugin-writes.jsonl` by the process that made the change, right
 * before (or after) it. Batches run at the same time (Nx runs them in parallel): while one batch's
 * agent runs, another batch integrates its result into the workspace or moves its branch. The
 * integrity check of the first (guard/integrity.ts) looks here to tell those writes from what its
 * own agent did. Each record is one append (O_APPEND), so processes may record side by side, with or
 * without the workspace lock.
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

/**
 * Once the file grows past this it is moved aside to `<file>.1` (replacing the one before), and read
 * along: nothing is rewritten in place, so an append made meanwhile is never lost.
 */
const MAX_BYTES = 1024 * 1024;

export function pluginWritesPath(repo: Pick<RepoInfo, 'commonDir'>): string {
  return join(repo.commonDir, 'nx-worktree-ai', 'plugin-writes.jsonl');
}

/** sha256 of mode and content; "absent" for a missing file. */
export function fileSig(file: FileVersion | null): string {
  if (!file) return 'absent';
  return createHash('sha256').update(file.mode).update('\0').update(file.content).digest('hex');
}

/** Appends entries: call it right before (or right after) the change itself. */
export function recordPluginWrites(repo: Pick<RepoInfo, 'commonDir'>, writes: PluginWrite[], now = Date.now()): void {
  if (!writes.length) return;
  const file = pluginWritesPath(repo);
  mkdirSync(dirname(file), { recursive: true });
  moveAsideWhenFull(file);
  appendFileSync(file, writes.map((w) => `${JSON.stringify({ ...w, t: now, pid: process.pid })}\n`).join(''));
}

/**
 * Entries are appended in the order they are made, each stamped just before, so a process delayed
 * between its stamp and its append can land behind a later one; never by this much.
 */
const APPEND_DELAY_MS = 60_000;

/**
 * Every entry recorded at or after `since` (ms), oldest first. Read from the end, back to the first
 * entry older than `since` by APPEND_DELAY_MS: a batch asks about the last seconds or minutes, and
 * the record holds up to 2 MiB of history (~10 ms of CPU to parse whole, under the workspace lock).
 */
export function pluginWritesSince(repo: Pick<RepoInfo, 'commonDir'>, since: number): PluginWrite[] {
  const file = pluginWritesPath(repo);
  const out: PluginWrite[] = [];
  for (const generation of [file, previousGeneration(file)]) {
    for (const line of linesFromEnd(generation)) {
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        continue; // a torn line (a process killed mid-append): ignore it
      }
      if (entry.t >= since) out.push(entry);
      else if (entry.t < since - APPEND_DELAY_MS) return out.reverse();
    }
  }
  return out.reverse();
}

function previousGeneration(file: string): string {
  return `${file}.1`;
}

function moveAsideWhenFull(file: string): void {
  try {
    if (statSync(file).size >= MAX_BYTES) renameSync(file, previousGeneration(file));
  } catch {
    // no file yet, or another process moved it aside first
  }
}

/** Records a ref write with the oid it now holds (read back from git by the caller). */
export function refWrite(ref: string, oid: string | null): PluginWrite {
  return { kind: 'ref', ref, oid };
}
