/**
 * The fault table's rows. Every fault file records one row per fault it inflicts:
 *
 *   import { recordFault } from './support/record';
 *   recordFault({ fault: 'agent SIGKILLed mid-run', runs: 1, survived: 1, dataLost: 0 });
 *
 * - `runs`: how many times the fault was inflicted (trials);
 * - `survived`: trials after which every check held (no process, worktree, lock or registry entry
 *   left, the workspace as it should be, every finished agent's work reachable, ...);
 * - `dataLost`: finished agent work that is not reachable any more plus user files changed, summed
 *   over the trials. Must be 0.
 * - `detail` (optional): one short line shown under the table (timings, counts).
 *
 * Record the row whatever happened (in `finally`, with what was measured) and assert afterwards:
 * the table then shows a failing row instead of a missing one. Rows go to a JSON-lines file that
 * the faults project's globalSetup empties and its globalTeardown prints (support/table.ts).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface FaultRow {
  fault: string;
  runs: number;
  survived: number;
  dataLost: number;
  detail?: string;
}

/** Where rows are collected (override: NX_WORKTREE_AI_FAULTS_FILE). */
export const ROWS_FILE = process.env.NX_WORKTREE_AI_FAULTS_FILE || join(resolve(__dirname, '..', '..'), 'dist', 'faults', 'rows.jsonl');

export function recordFault(row: FaultRow): void {
  for (const key of ['runs', 'survived', 'dataLost'] as const) {
    if (!Number.isInteger(row[key]) || row[key] < 0) throw new Error(`recordFault(${row.fault}): ${key} must be a whole number >= 0, got ${row[key]}`);
  }
  if (row.survived > row.runs) throw new Error(`recordFault(${row.fault}): survived (${row.survived}) > runs (${row.runs})`);
  mkdirSync(dirname(ROWS_FILE), { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}
