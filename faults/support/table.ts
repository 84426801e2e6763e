import { existsSync, readFileSync } from 'node:fs';
import type { FaultRow } from './record';

/** Rows recorded so far; one fault recorded twice is summed into one row (first-seen order). */
export function readRows(file: string): FaultRow[] {
  if (!existsSync(file)) return [];
  const merged = new Map<string, FaultRow>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as FaultRow;
    const seen = merged.get(row.fault);
    if (!seen) merged.set(row.fault, { fault: row.fault, runs: row.runs, survived: row.survived, dataLost: row.dataLost, detail: row.detail });
    else {
      seen.runs += row.runs;
      seen.survived += row.survived;
      seen.dataLost += row.dataLost;
      seen.detail = [seen.detail, row.detail].filter(Boolean).join('; ');
    }
  }
  return [...merged.values()];
}

/** The table: `fault | runs | survived | data lost`, then the details as numbered notes. */
export function formatTable(rows: FaultRow[]): string {
  const header = ['fault', 'runs', 'survived', 'data lost'];
  const cells = rows.map((r, i) => [`${r.detail ? `(${i + 1}) ` : ''}${r.fault}`, String(r.runs), String(r.survived), String(r.dataLost)]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)];
  const notes = rows.map((r, i) => (r.detail ? `(${i + 1}) ${r.detail}` : null)).filter(Boolean);
  if (notes.length) out.push('', ...(notes as string[]));
  return out.join('\n');
}

/** Rows that did not hold: fewer survivors than runs, or data lost. */
export function failedRows(rows: FaultRow[]): FaultRow[] {
  return rows.filter((r) => r.survived < r.runs || r.dataLost > 0);
}
