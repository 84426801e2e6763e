import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { readWorkspaceFile } from './apply';
import { isIntegrated, KEY_TRAILER } from './branch';
import { git } from './git';
import { recoverJournal } from './journal';
import type { RepoInfo } from './repo';
import { listWorktrees, worktreeGitDir } from './worktree';
import { fileSig, recordPluginWrites, refWrite } from './plugin-writes';
import { groupMembers, listRuns, processStart, processState, runsDir, TEMP_INDEX_PATTERN, tmpDir, type ProcessRef, type RunRecord } from './runs';
import { isSymlink, leftOutLine, readScope, salvageWorktree, type Salvaged } from './salvage';
import { deleteSavedEdits, listSavedEdits, type SavedEdits } from './saved-edits';
import { readCommitRefs } from './tree';

/**
 * Cleaning up after runs that did not end by themselves (SIGKILL, a crash, a power cut), driven by
 * the run registry (worktree/runs.ts). Every function here must run under the workspace lock.
 *
 * Nothing a run produced is lost: the agent's process group is stopped first, then whatever it
 * changed in its worktree and had not committed is committed (onto its batch branch while that
 * still points where the worktree started, else beside it as `ai-kept/<project>/<batch>/<time>-interrupted`)
 * before the worktree is removed, and an integration cut short is undone from its journal.
 */
export interface RecoverOptions {
  /** Also clean runs registered by another host (whose processes cannot be checked from here). */
  force?: boolean;
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface RecoveredRun {
  id: string;
  label: string;
  pid: number;
  host: string;
  startedAt: string;
  phase: string;
}

export interface RecoveryReport {
  /** Registry entries of dead runs, cleaned. */
  runs: RecoveredRun[];
  /** Runs still going (or on another host without `force`): left alone. */
  live: RecoveredRun[];
  /** Process groups of agents whose run was dead, killed. */
  agentsKilled: number[];
  worktreesRemoved: string[];
  /** Uncommitted work found in a worktree and committed before removing it. */
  salvaged: Salvaged[];
  /** Workspace paths put back from the journal of an integration that did not finish. */
  restored: string[];
  /** Journal paths changed by someone since: left alone. */
  notRestored: string[];
  tempFiles: string[];
  /** Prune only: batch branches deleted, and kept with the reason. */
  branchesDeleted: string[];
  branchesKept: Array<{ branch: string; reason: string }>;
  /** Prune only: uncommitted edits replays overwrote (saved-edits.ts), kept, and deleted (--force). */
  savedEditsKept: SavedEdits[];
  savedEditsDeleted: string[];
}

export function emptyReport(): RecoveryReport {
  return { runs: [], live: [], agentsKilled: [], worktreesRemoved: [], salvaged: [], restored: [], notRestored: [], tempFiles: [], branchesDeleted: [], branchesKept: [], savedEditsKept: [], savedEditsDeleted: [] };
}

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

/**
 * SIGKILLs what is left of an agent's process group once its run is dead. The group id is the
 * leader's pid; a live leader with another start time is an unrelated process (pid reuse): skipped.
 */
async function stopOrphanGroup(agent: ProcessRef, dry: boolean): Promise<boolean> {
  if (process.platform === 'win32') return false;
  const leaderStart = processStart(agent.pid);
  if (leaderStart !== null && agent.start !== null && leaderStart !== agent.start) return false;
  if (groupMembers(agent.pid).length === 0) return false;
  if (dry) return true;
  try {
    process.kill(-agent.pid, 'SIGKILL');
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && groupMembers(agent.pid).length > 0; i++) await delay(20);
  return true;
}

async function removeWorktreeDir(repo: RepoInfo, dir: string): Promise<void> {
  // The node_modules link first, so nothing can follow it into the workspace's own node_modules.
  if (isSymlink(join(dir, 'node_modules'))) rmSync(join(dir, 'node_modules'), { force: true });
  await git(repo.root, ['worktree', 'remove', '--force', '--force', '--', dir]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

function isRegisteredWorktree(repo: RepoInfo, dir: string): boolean {
  return listWorktrees(repo).some((w) => resolve(w.path) === resolve(dir));
}

/** Temp index files (and their git locks) and half-written registry files of dead processes. */
function sweepTempFiles(repo: RepoInfo, dry: boolean, report: RecoveryReport): void {
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

// ---------------------------------------------------------------------------------------------------
// Before a run takes its branch

/**
 * Frees `branch` for a new run: refuses when a live run holds it (another `nx` running the same
 * batch), and removes a worktree under `baseDir` still on it (one a failed run kept, or a crash
 * left) after keeping whatever it holds that is not committed.
 */
export async function releaseBranch(repo: RepoInfo, branch: string, baseDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  const live = listRuns(repo)
    .map((r) => r.record)
    .filter((r): r is RunRecord => !!r && r.branch === branch && r.owner.pid !== process.pid && processState(r.owner, r.owner.host) !== 'dead');
  if (live.length) {
    const r = live[0];
    throw new Error(
      `${r.project}:${r.batch} is already running (pid ${r.owner.pid} on ${r.owner.host}, since ${r.startedAt}, worktree ${r.worktree ?? 'not created yet'}). ` +
        'Wait for it or stop it; if that process is gone, run `nx g nx-worktree-ai:prune`.',
    );
  }
  for (const w of listWorktrees(repo)) {
    if (w.branch !== branch || relative(resolve(baseDir), resolve(w.path)).startsWith('..') || resolve(w.path) === resolve(repo.root)) continue;
    const saved = await salvageWorktree(repo, w.path, branch, branch.replace(/^ai\//, '').replace('/', ':'), null);
    if (saved) log(`nx-worktree-ai: the worktree ${w.path} held changes not committed on ${branch}: kept on branch ${saved.branch}`);
    const leftOut = saved && leftOutLine(saved);
    if (leftOut) log(`nx-worktree-ai: ${leftOut}`);
    await removeWorktreeDir(repo, w.path);
  }
}

// ---------------------------------------------------------------------------------------------------
// nx g nx-worktree-ai:prune

export interface PruneOptions extends RecoverOptions {
  /** Only worktrees and branches at least this old (ms); 0 = any age. */
  olderThanMs?: number;
  /** The time ages are measured from (tests). */
  now?: Date;
}

const WORKTREE_NAME = /-[0-9a-f]{6}$/;

/**
 * Everything `recoverStaleRuns` does, plus: worktrees a finished run kept (after committing what
 * they hold), and batch branches (`ai/...`, `ai-kept/...`) whose work is integrated (reachable from
 * HEAD, held by the result cache, or a bare snapshot). A branch with work found nowhere else is
 * deleted only with `force`.
 */
export async function pruneWorkspace(repo: RepoInfo, options: PruneOptions = {}): Promise<RecoveryReport> {
  const log = options.log ?? (() => undefined);
  const dry = !!options.dryRun;
  const now = (options.now ?? new Date()).getTime();
  const minAge = options.olderThanMs ?? 0;
  const report = await recoverStaleRuns(repo, options);

  const liveWorktrees = new Set(
    listRuns(repo)
      .map((r) => r.record?.worktree)
      .filter((w): w is string => !!w)
      .map((w) => resolve(w)),
  );
  const removedNow = new Set(report.worktreesRemoved.map((w) => resolve(w)));
  for (const w of listWorktrees(repo)) {
    const path = resolve(w.path);
    if (!w.branch || !/^ai(-kept)?\//.test(w.branch) || !WORKTREE_NAME.test(basename(path))) continue;
    if (path === resolve(repo.root) || liveWorktrees.has(path) || removedNow.has(path) || w.locked) continue;
    if (minAge && existsSync(path) && now - statSync(path).mtimeMs < minAge) continue;
    let saved: Salvaged | null;
    try {
      saved = await salvageWorktree(repo, path, w.branch, w.branch.replace(/^ai(-kept)?\//, '').replace('/', ':'), null, dry);
    } catch (error) {
      log(`nx-worktree-ai: could not save the work in ${path}, left it as it is: ${(error as Error).message}`);
      continue;
    }
    if (saved) {
      report.salvaged.push(saved);
      log(`nx-worktree-ai: ${dry ? 'would keep' : 'kept'} uncommitted changes of ${path} on branch ${saved.branch}`);
      const leftOut = leftOutLine(saved);
      if (leftOut) log(`nx-worktree-ai: ${leftOut}`);
    }
    if (!dry) await removeWorktreeDir(repo, path);
    report.worktreesRemoved.push(path);
    log(`nx-worktree-ai: ${dry ? 'would remove' : 'removed'} the worktree ${path}`);
  }
  if (!dry) await git(repo.root, ['worktree', 'prune']).catch(() => undefined);

  const gone = new Set(report.worktreesRemoved.map((w) => resolve(w)));
  const checkedOut = new Set(
    listWorktrees(repo)
      .filter((w) => !gone.has(resolve(w.path)))
      .map((w) => w.branch)
      .filter((b): b is string => !!b),
  );
  const salvagedInto = new Set(report.salvaged.map((x) => x.branch));
  for (const tip of await readCommitRefs(repo.root, ['refs/heads/ai/', 'refs/heads/ai-kept/'], [KEY_TRAILER])) {
    const { ref } = tip;
    const branch = ref.replace(/^refs\/heads\//, '');
    if (checkedOut.has(branch)) {
      report.branchesKept.push({ branch, reason: 'checked out in a worktree' });
      continue;
    }
    if (minAge && now - tip.committedAt * 1000 < minAge) {
      report.branchesKept.push({ branch, reason: 'younger than olderThan' });
      continue;
    }
    // A branch that receives salvaged work is not integrated (in a dry run it still looks like a bare snapshot).
    const integrated = !salvagedInto.has(branch) && (await isIntegrated(repo, tip));
    if (!integrated && !options.force) {
      report.branchesKept.push({ branch, reason: `holds work found nowhere else: merge it (git merge ${branch}) or delete it with --force` });
      continue;
    }
    if (!dry) {
      recordPluginWrites(repo, [refWrite(ref, null)]);
      await git(repo.root, ['update-ref', '-d', ref, tip.oid]);
    }
    report.branchesDeleted.push(branch);
    log(`nx-worktree-ai: ${dry ? 'would delete' : 'deleted'} branch ${branch} (${integrated ? 'integrated' : 'not integrated, --force'})`);
  }
  // Edits a replay overwrote are the user's own work: never deleted without --force.
  for (const saved of await listSavedEdits(repo)) {
    if (!options.force || (minAge && now - saved.savedAt * 1000 < minAge)) {
      report.savedEditsKept.push(saved);
      continue;
    }
    if (!dry) await deleteSavedEdits(repo, saved);
    report.savedEditsDeleted.push(saved.ref);
    log(`nx-worktree-ai: ${dry ? 'would delete' : 'deleted'} ${saved.ref} (edits a replay overwrote, --force)`);
  }
  return report;
}
