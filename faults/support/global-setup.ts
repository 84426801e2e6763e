import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROWS_FILE } from './record';

/** jest globalSetup of the faults project: a fresh rows file (and logs folder) for this run. */
export default function globalSetup(): void {
  mkdirSync(dirname(ROWS_FILE), { recursive: true });
  rmSync(ROWS_FILE, { force: true });
  rmSync(join(dirname(ROWS_FILE), 'logs'), { recursive: true, force: true });
  process.env.NX_WORKTREE_AI_FAULTS_STARTED = String(Date.now());
}
