import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROWS_FILE } from './record';
import { failedRows, formatTable, readRows } from './table';

/** jest globalTeardown of the faults project: prints the fault table (and keeps a copy in dist/faults/table.txt). */
export default function globalTeardown(): void {
  const rows = readRows(ROWS_FILE);
  const started = Number(process.env.NX_WORKTREE_AI_FAULTS_STARTED || Date.now());
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const table = rows.length ? formatTable(rows) : '(no fault recorded a row)';
  const failed = failedRows(rows);
  const verdict = failed.length ? `FAILED: ${failed.map((r) => r.fault).join(', ')}` : `${rows.length} fault(s), all survived, no data lost`;
  const text = `\nFault table (${minutes} min)\n\n${table}\n\n${verdict}\n`;
  writeFileSync(join(dirname(ROWS_FILE), 'table.txt'), text);
  process.stdout.write(text);
}
