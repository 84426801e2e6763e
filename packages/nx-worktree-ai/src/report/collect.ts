import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ARTIFACTS, type BatchResult } from '../results/result';
import { ARTIFACTS_DIR } from '../plugin/paths';

/** How the batch's current result came about. */
export type CacheState = 'none' | 'result-cache' | 'nx-cache';

/** One batch's latest result, as the report shows it. */
export interface ReportRow {
  /** `project:batch` */
  id: string;
  result: BatchResult;
  cache: CacheState;
  /** The artifact folder relative to the artifacts root (`auth/auth-module`, `@acme/ui/theme`). */
  dir: string;
  /** Artifact files that exist, by name (result.json, transcript.jsonl, changes.patch, prompt.md). */
  artifacts: string[];
  start: number | null;
  end: number | null;
}

export interface Report {
  /** The workspace root. */
  root: string;
  /** `<root>/.nx-worktree-ai` */
  artifactsRoot: string;
  rows: ReportRow[];
  /** result.json files that could not be read, with why. */
  unreadable: Array<{ file: string; error: string }>;
}

/**
 * A result.json written this long after its run finished was not written by the run: Nx restored
 * the artifact folder from its cache (a run writes it within milliseconds of finishedAt).
 */
export const NX_RESTORE_THRESHOLD_MS = 2000;

/** Reads every `.nx-worktree-ai/<project>/<batch>/result.json` of the workspace (project names may contain "/"). */
export function collectReport(root: string): Report {
  const artifactsRoot = join(root, ARTIFACTS_DIR);
  const rows: ReportRow[] = [];
  const unreadable: Report['unreadable'] = [];
  for (const file of findResults(artifactsRoot)) {
    const dir = relative(artifactsRoot, dirname(file)).split('\\').join('/');
    let result: BatchResult;
    try {
      result = JSON.parse(readFileSync(file, 'utf8')) as BatchResult;
      if (!result || typeof result !== 'object' || typeof result.project !== 'string' || typeof result.batch !== 'string') throw new Error('not a result.json of nx-worktree-ai');
    } catch (e) {
      unreadable.push({ file: relative(root, file), error: (e as Error).message });
      continue;
    }
    const start = time(result.startedAt);
    const end = time(result.finishedAt);
    let cache: CacheState = result.status === 'replayed' ? 'result-cache' : 'none';
    if (cache === 'none' && end !== null && statSync(file).mtimeMs - end > NX_RESTORE_THRESHOLD_MS) cache = 'nx-cache';
    const artifacts = Object.values(ARTIFACTS).filter((name) => existsSync(join(dirname(file), name)));
    rows.push({ id: `${result.project}:${result.batch}`, result, cache, dir, artifacts, start, end });
  }
  rows.sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity) || a.id.localeCompare(b.id));
  return { root: resolve(root), artifactsRoot, rows, unreadable };
}

function time(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

function findResults(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full, depth + 1);
      else if (entry.name === ARTIFACTS.result && depth > 0) out.push(full);
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** Runs: rows whose time spans touch or lie close together (gap below `gapMs`), latest first. */
export function groupRuns(rows: ReportRow[], gapMs = 10 * 60_000): ReportRow[][] {
  const timed = rows.filter((r) => r.start !== null && r.end !== null).sort((a, b) => a.start! - b.start!);
  const groups: ReportRow[][] = [];
  let end = -Infinity;
  for (const row of timed) {
    if (!groups.length || row.start! > end + gapMs) groups.push([]);
    groups[groups.length - 1].push(row);
    end = Math.max(end, row.end!);
  }
  return groups.reverse();
}

export interface Totals {
  batches: number;
  succeeded: number;
  replayed: number;
  failed: number;
  /** The agent changed no file: a failure, or a success the batch allows (allowEmpty: true). */
  empty: number;
  /** Stopped by SIGINT/SIGTERM/SIGHUP. */
  interrupted: number;
  /** Restored from Nx's cache: their numbers are the earlier run's. */
  nxCache: number;
  durationMs: number;
  turns: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  filesChanged: number;
  insertions: number;
  deletions: number;
}

export function tokensIn(r: BatchResult): number {
  const t = r.tokens ?? { input: null, cacheRead: null, cacheWrite: null };
  return (t.input ?? 0) + (t.cacheRead ?? 0) + (t.cacheWrite ?? 0);
}

export function totals(rows: ReportRow[]): Totals {
  const sum = (f: (r: ReportRow) => number | null | undefined) => rows.reduce((s, r) => s + (f(r) ?? 0), 0);
  return {
    batches: rows.length,
    succeeded: rows.filter((r) => r.result.status === 'succeeded').length,
    replayed: rows.filter((r) => r.result.status === 'replayed').length,
    failed: rows.filter((r) => r.result.status === 'failed').length,
    empty: rows.filter((r) => r.result.status === 'empty').length,
    interrupted: rows.filter((r) => r.result.status === 'interrupted').length,
    nxCache: rows.filter((r) => r.cache === 'nx-cache').length,
    durationMs: sum((r) => r.result.durationMs),
    turns: sum((r) => r.result.turns),
    tokensIn: sum((r) => tokensIn(r.result)),
    tokensOut: sum((r) => r.result.tokens?.output),
    costUsd: Math.round(sum((r) => r.result.costUsd) * 1e6) / 1e6,
    filesChanged: sum((r) => r.result.filesChanged?.length ?? 0),
    insertions: sum((r) => r.result.insertions),
    deletions: sum((r) => r.result.deletions),
  };
}
