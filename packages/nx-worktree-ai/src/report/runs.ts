import { stamp } from '../run/run-id';
import type { ReportRow } from './collect';

/** One `nx` command's batches, as the report shows them. */
export interface ReportRun {
  /** The run id of result.json (`20261204-234012-81234`); `earlier-<start>` for results without a run log. */
  id: string;
  /** Whether the run came from a run log (else: results of an older plugin version, grouped by time). */
  logged: boolean;
  /** When the command started (ms): its nx process's start where known, else its first batch's. */
  startedAt: number;
  /** When its last batch (or the aggregate that applied it) finished. */
  finishedAt: number;
  /** The command's wall time as far as its batches tell: start to last finish. */
  wallMs: number;
  /** Batch time over the time during which at least one batch ran: 1 for one batch, n for n batches side by side. */
  parallelism: number | null;
  /** By start time. */
  rows: ReportRow[];
}

export function buildRun(id: string | null, startedAt: number | null, rows: ReportRow[], logged: boolean): ReportRun {
  const sorted = [...rows].sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity) || a.id.localeCompare(b.id));
  const timed = sorted.filter((r) => r.start !== null && r.end !== null) as Array<ReportRow & { start: number; end: number }>;
  const first = timed.length ? Math.min(...timed.map((r) => r.start)) : (startedAt ?? 0);
  const start = startedAt !== null && Number.isFinite(startedAt) ? Math.min(startedAt, first) : first;
  const end = timed.length ? Math.max(...timed.map((r) => r.end)) : start;
  return { id: id ?? `earlier-${stamp(start)}`, logged, startedAt: start, finishedAt: end, wallMs: end - start, parallelism: parallelism(timed), rows: sorted };
}

/** Sum of the batches' times over the length of the union of their spans; null without a timed batch. */
export function parallelism(rows: Array<{ start: number; end: number }>): number | null {
  if (!rows.length) return null;
  const spans = rows.map((r) => [r.start, Math.max(r.end, r.start)] as const).sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let [from, to] = spans[0];
  for (const [s, e] of spans.slice(1)) {
    if (s > to) {
      busy += to - from;
      [from, to] = [s, e];
    } else to = Math.max(to, e);
  }
  busy += to - from;
  const total = spans.reduce((sum, [s, e]) => sum + (e - s), 0);
  // Batches of zero length (a replay within the same millisecond) ran one at a time, at least.
  return busy > 0 ? Math.max(1, total / busy) : 1;
}

/** Results without a run log, grouped by time: rows whose spans touch or lie close together (gap below `gapMs`), latest first. */
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
