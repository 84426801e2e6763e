import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyPlan, readWorkspaceFile, sameVersion, type FileVersion, type IntegrationPlan } from './apply';
import { writeJsonAtomic } from './runs';

/**
 * An apply journal makes integration recoverable when the process dies in the middle of it (a
 * SIGKILL, a power cut: signals are deferred by the executor meanwhile). Before the first workspace
 * file is written, the journal records every path's content as it was and a hash of what will be
 * written; when all writes are done it is marked `applied`. Recovery of a journal still `applying`
 * puts back every path that holds what the run wrote (or a temp file of it), so an integration is
 * all or nothing even across a crash. Paths the user changed since are left alone and reported.
 */
export interface JournalEntry {
  path: string;
  before: { mode: string; content: string } | null;
  /** sha256 of mode + content written, null for a deletion. */
  after: string | null;
}

export interface Journal {
  version: 1;
  workspace: string;
  state: 'applying' | 'applied';
  /** Suffix of the temp files applyPlan writes beside each path (`<path><suffix>`). */
  tmpSuffix: string;
  entries: JournalEntry[];
}

/**
 * Test-only fault injection (faults/, crash-safety.spec): with `<name>=N` set, a journaled apply of
 * more than N files writes N of them and then SIGKILLs its own process.
 */
export const FAULT_KILL_AFTER_WRITES = 'NX_WORKTREE_AI_FAULT_KILL_AFTER_WRITES';

function hashVersion(file: FileVersion): string {
  return createHash('sha256').update(file.mode).update('\0').update(file.content).digest('hex');
}

/** The temp-file suffix applyPlan (worktree/apply.ts writeVersion) uses in this process. */
export function applyTmpSuffix(pid = process.pid): string {
  return `.nx-worktree-ai-${pid}.tmp`;
}

/**
 * applyPlan with a journal at `journalFile`: written before the first change, marked applied after
 * the last. The caller removes it (`rmSync`) once everything that must follow the writes is done.
 */
export function applyPlanJournaled(workspaceRoot: string, plan: IntegrationPlan, journalFile: string): void {
  const journal: Journal = {
    version: 1,
    workspace: workspaceRoot,
    state: 'applying',
    tmpSuffix: applyTmpSuffix(),
    entries: plan.writes.map(({ path, file }) => {
      const before = readWorkspaceFile(workspaceRoot, path);
      return { path, before: before && { mode: before.mode, content: before.content.toString('base64') }, after: file && hashVersion(file) };
    }),
  };
  writeJsonAtomic(journalFile, journal);
  const fault = process.env[FAULT_KILL_AFTER_WRITES];
  const killAfter = fault && /^\d+$/.test(fault) ? Number(fault) : -1;
  if (killAfter >= 0 && killAfter < plan.writes.length) {
    // Fault injection for the fault suite only: a SIGKILL in the middle of an integration.
    applyPlan(workspaceRoot, { ...plan, writes: plan.writes.slice(0, killAfter) });
    process.kill(process.pid, 'SIGKILL');
  }
  applyPlan(workspaceRoot, plan);
  journal.state = 'applied';
  writeJsonAtomic(journalFile, journal);
}

export interface JournalRecovery {
  /** Paths put back as they were before the interrupted integration. */
  restored: string[];
  /** Paths that hold neither the old nor the new content: changed by someone since; left alone. */
  skipped: string[];
  /** The integration had finished; nothing was undone. */
  completed: boolean;
}

/** Undoes an integration that did not finish (see above), then removes the journal. */
export function recoverJournal(journalFile: string, dryRun = false): JournalRecovery {
  const report: JournalRecovery = { restored: [], skipped: [], completed: false };
  if (!existsSync(journalFile)) return report;
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Journal;
  } catch {
    // A journal is renamed into place whole: an unreadable one was never complete, and then no
    // workspace file was written yet either (the journal is written before the first change).
    if (!dryRun) rmSync(journalFile, { force: true });
    return report;
  }
  const root = journal.workspace;
  for (const entry of journal.entries) {
    const abs = join(root, entry.path);
    if (!dryRun) rmSync(`${abs}${journal.tmpSuffix}`, { force: true });
    if (journal.state === 'applied') continue;
    const before: FileVersion | null = entry.before && { mode: entry.before.mode, content: Buffer.from(entry.before.content, 'base64') };
    const now = readWorkspaceFile(root, entry.path);
    if (sameVersion(now, before)) continue;
    const holdsOurs = entry.after === null ? now === null : now !== null && hashVersion(now) === entry.after;
    if (!holdsOurs) {
      report.skipped.push(entry.path);
      continue;
    }
    if (!dryRun) {
      applyPlan(root, { writes: [{ path: entry.path, file: before }], conflicts: [], merged: [] });
      if (!before) removeEmptyParents(root, entry.path);
    }
    report.restored.push(entry.path);
  }
  report.completed = journal.state === 'applied';
  if (!dryRun) rmSync(journalFile, { force: true });
  return report;
}

/** Folders the interrupted integration created for a file that is gone again: removed while empty. */
function removeEmptyParents(root: string, path: string): void {
  for (let dir = dirname(path); dir !== '.' && dir !== '' && dir !== '/'; dir = dirname(dir)) {
    try {
      rmdirSync(join(root, dir));
    } catch {
      return; // not empty (or not there): stop
    }
  }
}
