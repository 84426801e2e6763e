import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readWorkspaceFile } from '../worktree/apply';
import { git } from '../worktree/git';
import { recoverJournal } from '../worktree/journal';
import { fileSig, recordPluginWrites } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import { listRuns, processState, type RunRecord } from '../worktree/runs';
import { worktreeGitDir } from '../worktree/worktree';
import { isRegisteredWorktree, removeWorktreeDir, stopOrphanGroup } from './cleanup';
import { emptyReport, type RecoveredRun, type RecoverOptions, type RecoveryReport } from './report';
import { leftOutLine, readScope, salvageWorktree, type Salvaged } from './salvage';
import { sweepTempFiles } from './temp-files';

/**
 * Cleaning up after runs that did not end by themselves (SIGKILL, a crash, a power cut), driven by
 * the run registry (worktree/runs.ts). Every function of recovery/ must run under the workspace lock.
 *
 * Nothing a run produced is lost: the agent's process group is stopped first, then whatever it
 * changed in its worktree and had not committed is committed (onto its batch branch while that
 * still points where the worktree started, else beside it as `ai-kept/<project>/<batch>/<time>-interrupted`)
 * before the worktree is removed, and an integration cut short is undone from its journal.
 */

const STALE_REF_LOCK_MS = 10_000;

const describe = (r: RunRecord): RecoveredRun => ({
  id: r.id,
  label: `${r.project}:${r.batch}`,
  pid: r.owner.pid,
  host: r.owner.host,
  startedAt: r.startedAt,
  phase: r.phase,
});

/** Cleans what dead runs left. Cheap when there is nothing to do (one readdir per folder). */
export async function recoverStaleRuns(repo: RepoInfo, options: RecoverOptions = {}): Promise<RecoveryReport> {
  const report = emptyReport();
  const log = options.log ?? (() => undefined);
  const dry = !!options.dryRun;
  for (const { file, record, error } of listRuns(repo)) {
    if (!record) {
      log(`nx-worktree-ai: ${dry ? 'would remove' : 'removed'} an unreadable run record ${file} (${error})`);
      if (!dry) rmSync(file, { force: true });
      continue;
    }
    const state = processState(record.owner, record.owner.host);
    if (state === 'alive' || (state === 'unknown' && !options.force)) {
      report.live.push(describe(record));
      continue;
    }
    await recoverRun(repo, record, file, options, report);
  }
  sweepTempFiles(repo, dry, report);
  if (!dry && report.worktreesRemoved.length) await git(repo.root, ['worktree', 'prune']).catch(() => undefined);
  return report;
}

async function recoverRun(repo: RepoInfo, record: RunRecord, file: string, options: RecoverOptions, report: RecoveryReport): Promise<void> {
  const log = options.log ?? (() => undefined);
  const dry = !!options.dryRun;
  const run = describe(record);
  const verb = dry ? 'would clean' : 'cleaning';
  log(`nx-worktree-ai: ${verb} up after ${run.label} (pid ${run.pid}${run.host ? ` on ${run.host}` : ''}, started ${run.startedAt}, ended during "${run.phase}")`);
  report.runs.push(run);

  if (record.agent && (await stopOrphanGroup(record.agent, dry))) {
    report.agentsKilled.push(record.agent.pid);
    log(`nx-worktree-ai:   ${dry ? 'would stop' : 'stopped'} its agent (process group ${record.agent.pid})`);
  }
  if (record.journal) {
    const undone = recoverJournal(record.journal, dry);
    // The plugin's own writes, so the integrity check of a run going on meanwhile tells them apart.
    if (!dry) recordPluginWrites(repo, undone.restored.map((path) => ({ kind: 'file' as const, path, sig: fileSig(readWorkspaceFile(record.workspace, path)) })));
    report.restored.push(...undone.restored);
    report.notRestored.push(...undone.skipped);
    if (undone.restored.length) log(`nx-worktree-ai:   ${dry ? 'would put' : 'put'} back ${undone.restored.length} file(s) of an integration cut short: ${undone.restored.join(', ')}`);
    if (undone.skipped.length) log(`nx-worktree-ai:   left ${undone.skipped.join(', ')} as they are: changed since the interrupted integration`);
  }
  // A git ref lock on the batch branch (a git process killed during update-ref): git holds one for
  // milliseconds, so one older than STALE_REF_LOCK_MS is a leftover; it would make the salvage
  // below and the next `worktree add -B` fail with "cannot lock ref".
  const refLock = join(repo.commonDir, 'refs', 'heads', `${record.branch}.lock`);
  if (existsSync(refLock) && Date.now() - statSync(refLock).mtimeMs > STALE_REF_LOCK_MS) {
    if (!dry) rmSync(refLock, { force: true });
    report.tempFiles.push(refLock);
  }
  if (record.worktree) {
    let saved: Salvaged | null;
    // Only the batch's outputs go onto a kept branch: the run recorded them (older records did not:
    // then what the run left in the worktree's git dir).
    const outputs = record.outputs ?? readScope(worktreeGitDir(repo, record.worktree))?.outputs ?? null;
    try {
      saved = await salvageWorktree(repo, record.worktree, record.branch, `${record.project}:${record.batch}`, { outputs, prepared: record.prepared }, dry);
    } catch (error) {
      // Never remove what could not be saved (unless forced): the record stays, the next run or prune tries again.
      if (!options.force) {
        log(`nx-worktree-ai:   could not save the work in ${record.worktree}, left it as it is (prune --force removes it): ${(error as Error).message}`);
        report.live.push(run);
        report.runs.pop();
        return;
      }
      log(`nx-worktree-ai:   could not save the work in ${record.worktree}; removing it anyway (--force): ${(error as Error).message}`);
      saved = null;
    }
    if (saved) {
      report.salvaged.push(saved);
      log(`nx-worktree-ai:   ${dry ? 'would keep' : 'kept'} the agent's unfinished work on branch ${saved.branch}`);
      const leftOut = leftOutLine(saved);
      if (leftOut) log(`nx-worktree-ai:   ${leftOut}`);
    }
    if (existsSync(record.worktree) || isRegisteredWorktree(repo, record.worktree)) {
      if (!dry) await removeWorktreeDir(repo, record.worktree);
      report.worktreesRemoved.push(record.worktree);
    }
  }
  for (const temp of record.tempFiles) {
    if (!existsSync(temp)) continue;
    if (!dry) rmSync(temp, { force: true, recursive: true });
    report.tempFiles.push(temp);
  }
  if (!dry) rmSync(file, { force: true });
}
