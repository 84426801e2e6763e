import type { BatchResult } from '../results/result';
import type { ReportRow } from './collect';

export interface Totals {
  batches: number;
  succeeded: number;
  /** Replayed from the result cache or from Nx's cache. */
  replayed: number;
  failed: number;
  /** The agent changed no file: a failure, or a success the batch allows (allowEmpty: true). */
  empty: number;
  /** Stopped by SIGINT/SIGTERM/SIGHUP. */
  interrupted: number;
  /** Restored from Nx's cache: their numbers are the earlier run's, and not spent in this one. */
  nxCache: number;
  /** Time the batches took in this run (a replay's own time, not the earlier run's). */
  durationMs: number;
  turns: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Files of the changes this run brought into the workspace (failed and branch-only ones are not). */
  filesChanged: number;
  insertions: number;
  deletions: number;
}

export function tokensIn(r: BatchResult): number {
  const t = r.tokens ?? { input: null, cacheRead: null, cacheWrite: null };
  return (t.input ?? 0) + (t.cacheRead ?? 0) + (t.cacheWrite ?? 0);
}

/** Turns, tokens and cost this run spent on a row: none for an Nx cache replay (the earlier run spent them). */
export function spent(row: ReportRow): BatchResult | null {
  return row.cache === 'nx-cache' ? null : row.result;
}

export function totals(rows: ReportRow[]): Totals {
  const sum = (f: (r: ReportRow) => number | null | undefined) => rows.reduce((s, r) => s + (f(r) ?? 0), 0);
  const count = (status: ReportRow['status']) => rows.filter((r) => r.status === status).length;
  const applied = rows.filter((r) => r.applied);
  return {
    batches: rows.length,
    succeeded: count('succeeded'),
    replayed: count('replayed'),
    failed: count('failed'),
    empty: count('empty'),
    interrupted: count('interrupted'),
    nxCache: rows.filter((r) => r.cache === 'nx-cache').length,
    durationMs: sum((r) => (r.start !== null && r.end !== null ? r.end - r.start : r.result.durationMs)),
    turns: sum((r) => spent(r)?.turns),
    tokensIn: sum((r) => (spent(r) ? tokensIn(r.result) : 0)),
    tokensOut: sum((r) => spent(r)?.tokens?.output),
    costUsd: Math.round(sum((r) => spent(r)?.costUsd) * 1e6) / 1e6,
    filesChanged: applied.reduce((s, r) => s + (r.result.filesChanged?.length ?? 0), 0),
    insertions: applied.reduce((s, r) => s + (r.result.insertions ?? 0), 0),
    deletions: applied.reduce((s, r) => s + (r.result.deletions ?? 0), 0),
  };
}
