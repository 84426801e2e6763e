import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recoverJournal } from '../worktree/journal';
import type { RepoInfo } from '../worktree/repo';
import { processState, runsDir, TEMP_INDEX_PATTERN, tmpDir } from '../worktree/runs';
import type { RecoveryReport } from './report';

/** Temp index files (and their git locks) and half-written registry files of dead processes. */
export function sweepTempFiles(repo: RepoInfo, dry: boolean, report: RecoveryReport): void {
  const sweep = (dir: string, pidOf: (name: string) => number | null) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = pidOf(name);
      if (pid === null || processState({ pid, start: null }) !== 'dead') continue;
      if (!dry) rmSync(join(dir, name), { force: true });
      report.tempFiles.push(join(dir, name));
    }
  };
  sweep(tmpDir(repo), (name) => {
    const m = TEMP_INDEX_PATTERN.exec(name);
    return m ? Number(m[2]) : null;
  });
  sweep(runsDir(repo), (name) => {
    const tmp = /\.(\d+)-[0-9a-f]+\.tmp$/.exec(name);
    if (tmp) return Number(tmp[1]);
    // A journal whose run record is gone: the record is removed after its journal, so only a
    // crash between the two leaves one; recover it like any other.
    const journal = /^(.+)-(\d+)-[0-9a-f]+\.journal\.json$/.exec(name);
    if (journal && !existsSync(join(runsDir(repo), name.replace(/\.journal\.json$/, '.json')))) {
      if (processState({ pid: Number(journal[2]), start: null }) === 'dead') {
        const undone = recoverJournal(join(runsDir(repo), name), dry);
        report.restored.push(...undone.restored);
        report.notRestored.push(...undone.skipped);
      }
    }
    return null;
  });
}
