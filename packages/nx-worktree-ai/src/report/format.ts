import { formatDuration, formatUsd } from '../agents/format';
import type { ReportRow } from './collect';
import type { ReportRun } from './runs';
import { spent, tokensIn, totals, type Totals } from './totals';
import { proofNote } from './proof';

/** 950 -> "950", 12345 -> "12.3k", 2500000 -> "2.5M". */
export function compactCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${Number((n / 1000).toFixed(n < 10_000 ? 1 : 0))}k`;
  return `${Number((n / 1_000_000).toFixed(1))}M`;
}

export function cacheLabel(row: Pick<ReportRow, 'cache' | 'from'>): string {
  if (row.cache === 'result-cache') return 'hit (result cache)';
  if (row.cache === 'nx-cache') return row.from ? `hit (nx cache, run ${row.from})` : 'hit (nx cache)';
  return 'no';
}

/** The status as shown: an empty result says whether the batch allowed it (allowEmpty) or failed; verify and samples add their counts (proof.ts). */
export function statusLabel(row: Pick<ReportRow, 'status' | 'result'>): string {
  if (row.status === 'empty') return row.result.error ? 'empty (failed)' : 'empty (allowed)';
  return `${row.status}${proofNote(row.result)}`;
}

/** "3 ok, 1 replayed, 1 failed, 1 empty": the counts that are not zero (succeeded always). */
export function statusCounts(t: Totals, ok = 'ok', separator = ', '): string {
  const counts: Array<[number, string]> = [[t.replayed, 'replayed'], [t.failed, 'failed'], [t.empty, 'empty'], [t.interrupted, 'interrupted']];
  return [`${t.succeeded} ${ok}`, ...counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)].join(separator);
}

/** The files of a row: "3" when its change was applied, "(3)" when it stayed on the batch branch. */
export function filesLabel(row: ReportRow): string {
  const n = row.result.filesChanged?.length ?? 0;
  return row.applied || n === 0 ? String(n) : `(${n})`;
}

/** The row's time in this run: its own for a batch that ran, the aggregate's for an Nx cache replay. */
export function rowDuration(row: ReportRow): string {
  if (row.start !== null && row.end !== null) return formatDuration(row.end - row.start);
  return typeof row.result.durationMs === 'number' ? formatDuration(row.result.durationMs) : '-';
}

export const COLUMNS = ['batch', 'status', 'cache', 'duration', 'turns', 'tokens in', 'tokens out', 'cost', 'files', 'branch'] as const;

/** One row of the text table, in COLUMNS order. Turns, tokens and cost are what this run spent. */
export function rowCells(row: ReportRow): string[] {
  const r = spent(row);
  return [
    row.id,
    statusLabel(row),
    cacheLabel(row),
    rowDuration(row),
    r?.turns == null ? '-' : String(r.turns),
    r?.tokens ? compactCount(tokensIn(r)) : '-',
    compactCount(r?.tokens?.output),
    r?.costUsd == null ? '-' : formatUsd(r.costUsd),
    filesLabel(row),
    row.result.branch ?? '-',
  ];
}

export function totalCells(t: Totals): string[] {
  return [
    `total (${t.batches})`,
    statusCounts(t),
    `${t.replayed} hit`,
    formatDuration(t.durationMs),
    String(t.turns),
    compactCount(t.tokensIn),
    compactCount(t.tokensOut),
    formatUsd(t.costUsd),
    String(t.filesChanged),
    '',
  ];
}

const RIGHT = new Set(['duration', 'turns', 'tokens in', 'tokens out', 'cost', 'files']);

/** The rows as an aligned text table with a totals row. */
export function formatTable(rows: ReportRow[], t: Totals = totals(rows)): string {
  const body = [COLUMNS.slice() as string[], ...rows.map(rowCells), totalCells(t)];
  const widths = COLUMNS.map((_, c) => Math.max(...body.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (RIGHT.has(COLUMNS[c]) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(body[0]), rule, ...body.slice(1, -1).map(line), rule, line(body[body.length - 1])].join('\n');
}

/** `×2.4`, or `-` when no batch was timed. */
export function formatParallelism(p: number | null): string {
  return p === null ? '-' : `×${p.toFixed(1)}`;
}

export function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** "run 20261204-234012-81234 · 2026-12-04 23:40:12 UTC · wall 12.3s · ×2.4 parallel · 6 batch(es)" */
export function runHeading(run: ReportRun): string {
  const what = run.logged ? `run ${run.id}` : `results without a run id (older plugin version), ${run.id}`;
  return `${what} · ${utc(run.startedAt)} · wall ${formatDuration(run.wallMs)} · ${formatParallelism(run.parallelism)} parallel · ${run.rows.length} batch(es)`;
}

/** A run: its heading, its table, and what the marks mean when they occur. */
export function formatRun(run: ReportRun, scripted: boolean): string {
  const notes: string[] = [];
  if (run.rows.some((r) => !r.applied && (r.result.filesChanged?.length ?? 0) > 0)) notes.push('(n) files: changed on the batch branch, not applied');
  if (run.rows.some((r) => r.cache === 'nx-cache')) notes.push('nx cache: Nx restored the result, the aggregate applied it; nothing was spent in this run');
  if (scripted) notes.push('cost: what the agent CLI computed for a scripted model\'s replies; no money was spent');
  return [runHeading(run), '', formatTable(run.rows), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
