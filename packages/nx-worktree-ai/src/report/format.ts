import { formatDuration, formatUsd } from '../agents/format';
import type { CacheState, ReportRow, Totals } from './collect';
import { tokensIn } from './collect';
import { proofNote } from './proof';

/** 950 -> "950", 12345 -> "12.3k", 2500000 -> "2.5M". */
export function compactCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${Number((n / 1000).toFixed(n < 10_000 ? 1 : 0))}k`;
  return `${Number((n / 1_000_000).toFixed(1))}M`;
}

export function cacheLabel(cache: CacheState): string {
  return cache === 'result-cache' ? 'hit (result cache)' : cache === 'nx-cache' ? 'hit (nx cache)' : 'no';
}

/** The status as shown: an empty result says whether the batch allowed it (allowEmpty) or failed; verify and samples add their counts (proof.ts). */
export function statusLabel(r: Pick<ReportRow['result'], 'status' | 'error' | 'attempts' | 'samples'>): string {
  if (r.status === 'empty') return r.error ? 'empty (failed)' : 'empty (allowed)';
  return `${r.status}${proofNote(r)}`;
}

/** "3 ok, 1 replayed, 1 failed, 1 empty": the counts that are not zero (succeeded always). */
export function statusCounts(t: Totals, ok = 'ok', separator = ', '): string {
  const counts: Array<[number, string]> = [[t.replayed, 'replayed'], [t.failed, 'failed'], [t.empty, 'empty'], [t.interrupted, 'interrupted']];
  return [`${t.succeeded} ${ok}`, ...counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)].join(separator);
}

export const COLUMNS = ['batch', 'status', 'cache', 'duration', 'turns', 'tokens in', 'tokens out', 'cost', 'files', 'branch'] as const;

/** One row of the text table, in COLUMNS order: what result.json says, formatted. */
export function rowCells(row: ReportRow): string[] {
  const r = row.result;
  return [
    row.id,
    statusLabel(r),
    cacheLabel(row.cache),
    typeof r.durationMs === 'number' ? formatDuration(r.durationMs) : '-',
    r.turns === null || r.turns === undefined ? '-' : String(r.turns),
    r.tokens ? compactCount(tokensIn(r)) : '-',
    compactCount(r.tokens?.output),
    r.costUsd === null || r.costUsd === undefined ? '-' : formatUsd(r.costUsd),
    String(r.filesChanged?.length ?? 0),
    r.branch ?? '-',
  ];
}

export function totalCells(t: Totals): string[] {
  return [
    `total (${t.batches})`,
    statusCounts(t),
    `${t.replayed + t.nxCache} hit`,
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

/** The report as an aligned text table with a totals row. */
export function formatTable(rows: ReportRow[], t: Totals): string {
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
