import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ARTIFACTS, type BatchResult } from '../results/result';
import { readRunLogs, type RunEntry } from '../results/run-log';
import { ARTIFACTS_DIR } from '../plugin/paths';
import { buildRun, groupRuns, type ReportRun } from './runs';

export { groupRuns, type ReportRun };

/** How the batch's result came about in its run. */
export type CacheState = 'none' | 'result-cache' | 'nx-cache';

/** One batch in one run, as the report shows it. */
export interface ReportRow {
  /** `project:batch` */
  id: string;
  /** The result.json the run saw: for an Nx cache replay, the one of the run that produced it. */
  result: BatchResult;
  /** The status in this run: an Nx cache replay is `replayed` whatever the earlier run's was. */
  status: BatchResult['status'];
  cache: CacheState;
  /** For an Nx cache replay: the run whose agent produced the result (null when unknown). */
  from: string | null;
  /** The change reached the workspace in this run: its files count. */
  applied: boolean;
  /** The artifact folder relative to the artifacts root (`auth/auth-module`, `@acme/ui/theme`). */
  dir: string;
  /** Artifact files of this very result that exist, by name (a later run replaces them). */
  artifacts: string[];
  /** When this run handled the batch (ms). */
  start: number | null;
  end: number | null;
}

export interface Report {
  /** The workspace root. */
  root: string;
  /** `<root>/.nx-worktree-ai` */
  artifactsRoot: string;
  /** Latest first. */
  runs: ReportRun[];
  /** result.json and run log files that could not be read, with why. */
  unreadable: Array<{ file: string; error: string }>;
}

/**
 * A result.json of a run without a run log (an older plugin version) written this long after its
 * run finished was not written by the run: Nx restored the artifact folder from its cache.
 */
export const NX_RESTORE_THRESHOLD_MS = 2000;

/**
 * Every run of the workspace: the run logs of `.nx-worktree-ai/.runs/` (a batch whose file is gone
 * drops out), and the results of `.nx-worktree-ai/<project>/<batch>/result.json` that no run log
 * holds (older plugin versions), grouped into runs by time.
 */
export function collectReport(root: string): Report {
  const artifactsRoot = join(root, ARTIFACTS_DIR);
  const logs = readRunLogs(root);
  const unreadable = [...logs.unreadable];
  const current = new Map<string, { result: BatchResult; file: string }>();
  for (const file of findResults(artifactsRoot)) {
    try {
      const result = JSON.parse(readFileSync(file, 'utf8')) as BatchResult;
      if (!result || typeof result !== 'object' || typeof result.project !== 'string' || typeof result.batch !== 'string') throw new Error('not a result.json of nx-worktree-ai');
      current.set(`${result.project}:${result.batch}`, { result, file });
    } catch (e) {
      unreadable.push({ file: relative(root, file), error: (e as Error).message });
    }
  }
  const artifactsOf = (result: BatchResult): Pick<ReportRow, 'dir' | 'artifacts'> => {
    const dir = `${result.project}/${result.batch}`;
    const now = current.get(`${result.project}:${result.batch}`);
    const same = !!now && now.result.runId === result.runId && now.result.startedAt === result.startedAt;
    return { dir, artifacts: same ? Object.values(ARTIFACTS).filter((name) => existsSync(join(artifactsRoot, dir, name))) : [] };
  };

  const runs: ReportRun[] = [];
  const logged = new Set<string>();
  for (const log of logs.runs) {
    for (const e of log.entries) logged.add(`${e.result.runId}|${e.result.project}:${e.result.batch}|${e.result.startedAt}`);
    const rows = log.entries.filter((e) => existsSync(join(root, e.batchFile))).map((e) => ({ ...entryRow(e, log.id), ...artifactsOf(e.result) }));
    if (rows.length) runs.push(buildRun(log.id, Date.parse(log.startedAt), rows, true));
  }
  const unlogged = [...current.values()].filter(({ result }) => !logged.has(`${result.runId}|${result.project}:${result.batch}|${result.startedAt}`));
  const legacy = unlogged.map(({ result, file }) => ({ ...legacyRow(result, statSync(file).mtimeMs), ...artifactsOf(result) }));
  runs.push(...groupRuns(legacy).map((rows) => buildRun(null, null, rows, false)));
  runs.sort((a, b) => b.startedAt - a.startedAt || b.id.localeCompare(a.id));
  return { root: resolve(root), artifactsRoot, runs, unreadable };
}

function entryRow(e: RunEntry, runId: string): Omit<ReportRow, 'dir' | 'artifacts'> {
  const nx = e.kind === 'nx-cache';
  return {
    id: `${e.result.project}:${e.result.batch}`,
    result: e.result,
    status: nx ? 'replayed' : e.result.status,
    cache: nx ? 'nx-cache' : e.kind === 'result-cache' ? 'result-cache' : 'none',
    from: nx && e.result.runId !== runId ? e.result.runId : null,
    applied: e.applied,
    start: time(e.startedAt),
    end: time(e.finishedAt),
  };
}

function legacyRow(result: BatchResult, writtenAt: number): Omit<ReportRow, 'dir' | 'artifacts'> {
  const end = time(result.finishedAt);
  const restored = result.status !== 'replayed' && end !== null && writtenAt - end > NX_RESTORE_THRESHOLD_MS;
  return {
    id: `${result.project}:${result.batch}`,
    result,
    status: restored ? 'replayed' : result.status,
    cache: result.status === 'replayed' ? 'result-cache' : restored ? 'nx-cache' : 'none',
    from: null,
    applied: result.status === 'succeeded' || result.status === 'replayed',
    start: time(result.startedAt),
    end,
  };
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
      if (entry.isDirectory()) {
        if (!(depth === 0 && entry.name.startsWith('.'))) walk(full, depth + 1);
      } else if (entry.name === ARTIFACTS.result && depth > 0) out.push(full);
    }
  };
  walk(dir, 0);
  return out.sort();
}

