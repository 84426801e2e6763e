import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../utils/files';
import { dirname, join } from 'node:path';
import { ARTIFACTS_DIR } from '../plugin/paths';
import type { ApplyMode } from '../batch/spec';
import type { BatchResult } from './result';

/**
 * The run log: what each `nx` command did to each batch, kept after a later run replaces the
 * batch's result.json. `.nx-worktree-ai/.runs/<run id>/run.json` says when the command started;
 * `batches/<project>/<batch>.json` holds one entry per batch the run took part in (a project name
 * may hold "/" and "@": it is URI-encoded into one folder name). Project names never start with
 * a dot, so the folder cannot meet a project's artifact folder.
 */
export const RUNS_DIR = `${ARTIFACTS_DIR}/.runs`;

/** Run logs kept: older ones are removed when a new run starts. */
export const KEPT_RUNS = 50;

/**
 * How a batch took part in a run: `ran` (the agent ran, whatever the outcome), `result-cache` (the
 * plugin replayed a stored result, no agent), `nx-cache` (Nx restored the artifact folder from its
 * cache and the `ai-generate` aggregate applied the earlier run's change).
 */
export type RunEntryKind = 'ran' | 'result-cache' | 'nx-cache';

export interface RunEntry {
  kind: RunEntryKind;
  /** The batch file from the workspace root: when it is gone, the batch drops out of the report. */
  batchFile: string;
  /** The change reached the workspace (or the current branch): not with `apply: branch` or a failure. */
  applied: boolean;
  /** When this run handled the batch: the batch task's own times, or the aggregate's for `nx-cache`. */
  startedAt: string;
  finishedAt: string;
  /** The batch's result.json as this run saw it (for `nx-cache`, the earlier run's). */
  result: BatchResult;
}

export interface RunInfo {
  id: string;
  /** When the `nx` command started (or its first task, where the process start time is unknown). */
  startedAt: string;
}

export function runDir(root: string, runId: string): string {
  return join(root, RUNS_DIR, runId);
}

/** run.json of the run, written by the first of its tasks (the others find it there). */
export function recordRun(root: string, run: RunInfo): void {
  const file = join(runDir(root, run.id), 'run.json');
  if (existsSync(file)) return;
  const fresh = !existsSync(dirname(file));
  writeFileAtomic(file, `${JSON.stringify(run, null, 2)}\n`);
  if (fresh) pruneRuns(root, run.id);
}

export function recordEntry(root: string, runId: string, entry: RunEntry): void {
  const file = join(runDir(root, runId), 'batches', encodeURIComponent(entry.result.project), `${entry.result.batch}.json`);
  writeFileAtomic(file, `${JSON.stringify(entry, null, 2)}\n`);
}

/** Every run log of the workspace, oldest first, with what could not be read. */
export function readRunLogs(root: string): { runs: Array<RunInfo & { entries: RunEntry[] }>; unreadable: Array<{ file: string; error: string }> } {
  const base = join(root, RUNS_DIR);
  const unreadable: Array<{ file: string; error: string }> = [];
  const runs: Array<RunInfo & { entries: RunEntry[] }> = [];
  for (const id of listDirs(base)) {
    const info = readJson<RunInfo>(join(base, id, 'run.json'), unreadable, (v) => typeof v.id === 'string' && typeof v.startedAt === 'string');
    if (!info) continue;
    const entries: RunEntry[] = [];
    for (const project of listDirs(join(base, id, 'batches'))) {
      for (const name of readdirSync(join(base, id, 'batches', project)).filter((n) => n.endsWith('.json')).sort()) {
        const entry = readJson<RunEntry>(join(base, id, 'batches', project, name), unreadable, isEntry);
        if (entry) entries.push(entry);
      }
    }
    runs.push({ ...info, id, entries });
  }
  runs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.id.localeCompare(b.id));
  return { runs, unreadable: unreadable.map((u) => ({ ...u, file: u.file.slice(root.length + 1) })) };
}

function isEntry(v: Partial<RunEntry>): boolean {
  return typeof v.kind === 'string' && typeof v.batchFile === 'string' && typeof v.startedAt === 'string' && typeof v.finishedAt === 'string' && !!v.result && typeof v.result.project === 'string' && typeof v.result.batch === 'string';
}

function readJson<T>(file: string, unreadable: Array<{ file: string; error: string }>, valid: (v: Partial<T>) => boolean): T | null {
  if (!existsSync(file)) return null;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<T>;
    if (!value || typeof value !== 'object' || !valid(value)) throw new Error('not a run log file of nx-worktree-ai');
    return value as T;
  } catch (error) {
    unreadable.push({ file, error: (error as Error).message });
    return null;
  }
}

function listDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Keeps the newest KEPT_RUNS run logs (run ids start with their UTC start time). */
function pruneRuns(root: string, current: string): void {
  const ids = listDirs(join(root, RUNS_DIR)).filter((id) => id !== current);
  for (const id of ids.slice(0, Math.max(0, ids.length - (KEPT_RUNS - 1)))) rmSync(runDir(root, id), { recursive: true, force: true });
}


/** The entry of a batch task's own run (the agent ran, or a stored result was replayed). */
export function batchEntry(result: BatchResult, batchFile: string, apply: ApplyMode): RunEntry {
  const ok = result.status === 'succeeded' || result.status === 'replayed';
  return {
    kind: result.status === 'replayed' ? 'result-cache' : 'ran',
    batchFile,
    applied: ok && apply !== 'branch' && result.filesChanged.length > 0,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    result,
  };
}

/**
 * What the `ai-generate` aggregate saw of a batch whose result.json another run wrote: Nx restored
 * the artifact folder from its cache (the batch task did not run), and the aggregate applied the
 * earlier run's change. A result of this run needs no entry here: its batch task wrote one.
 */
export function recordReplay(root: string, runId: string, seen: { batchFile: string; result: BatchResult; applied: boolean; startedAt: Date; finishedAt: Date }): void {
  if (seen.result.runId === runId) return;
  try {
    recordEntry(root, runId, { kind: 'nx-cache', batchFile: seen.batchFile, applied: seen.applied, startedAt: seen.startedAt.toISOString(), finishedAt: seen.finishedAt.toISOString(), result: seen.result });
  } catch {
    // the run log is a record, never a reason to fail the aggregate
  }
}
