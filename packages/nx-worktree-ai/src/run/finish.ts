import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../worktree/lock';
import { gitProcessCount } from '../worktree/git';
import { removeWorktree, type Worktree } from '../worktree/worktree';
import { ARTIFACTS, writeArtifacts } from '../results/result';
import { BatchFailure } from '../results/failure';
import { pluginCpuMs, pluginLoadCpuMs } from '../utils/plugin-cpu';
import { restampAfterFailure, thrownOutcome, type Outcome } from './outcome';
import { artifactFiles, finishResult } from './record';
import type { RunRecord, RunState } from './state';

/** A run that ends other than in success (failed, empty, interrupted): its artifacts say so, and the batch fails. */
export function failWithOutcome(state: RunState, record: RunRecord, outcome: Outcome): never {
  const result = finishResult(state, record, outcome.status, outcome.message);
  writeArtifacts(state.ctx.root, state.run.artifactDir, artifactFiles(state, record, result));
  throw new BatchFailure(outcome.message!, result);
}

/**
 * The error a run that threw ends with. Every failure leaves a result.json (a conflict, a failed
 * setup command, a git error...), with the patch when there is one.
 */
export async function failureOf(state: RunState, record: RunRecord, error: unknown): Promise<unknown> {
  if (error instanceof BatchFailure && error.result) return error;
  const thrown = thrownOutcome(error, state.life.guard.received);
  // The branch commit's status trailer says what result.json says (a conflict, a late signal...).
  const { commit, message } = await restampAfterFailure(record.stamped, thrown.status, thrown.message);
  record.base.commit = commit;
  const result = finishResult(state, record, thrown.status, message);
  writeArtifacts(state.ctx.root, state.run.artifactDir, artifactFiles(state, record, result));
  return new BatchFailure(message, result);
}

/** Whatever the run's end: the worktree removed (or kept, as asked) and timings.json written. */
export async function cleanUp({ run, options, ctx, repo, lock, clock, gitBefore, snapshot }: RunState, worktree: Worktree, record: RunRecord): Promise<void> {
  if (options.keepWorktree) ctx.log(`[${run.label}] worktree kept at ${worktree.dir}`);
  else if (!record.removed) await withLock(lock, () => removeWorktree(repo, worktree)).catch(() => undefined);
  clock.mark('cleanup');
  writeTimings(ctx.root, run.artifactDir, clock, gitProcessCount() - gitBefore, snapshot.shared ? 'shared' : 'taken');
}

/**
 * timings.json: milliseconds per phase (wall, and this process's CPU in `cpuPhases`), the executor process's peak memory and CPU time (`cpuMs`:
 * Nx's worker start, loading the plugin and the run; the agent is another process), the plugin's
 * part of it (`pluginCpuMs`: loading the executor and the run, utils/plugin-cpu.ts; `pluginLoadCpuMs` the load alone), the git processes
 * the run started (`gitProcesses`), and whether the snapshot was taken or
 * shared with batches started together (worktree/snapshot.ts).
 */
function writeTimings(root: string, artifactDir: string, { phases, cpuPhases }: Pick<RunState['clock'], 'phases' | 'cpuPhases'>, gitProcesses: number, snapshot: 'taken' | 'shared'): void {
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const { user, system } = process.cpuUsage();
  const cpuMs = Math.round((user + system) / 1000);
  try {
    writeFileSync(join(root, artifactDir, ARTIFACTS.timings), `${JSON.stringify({ phases, cpuPhases, maxRssMb, cpuMs, pluginCpuMs: pluginCpuMs(), pluginLoadCpuMs: pluginLoadCpuMs(), gitProcesses, snapshot }, null, 2)}\n`);
  } catch {
    // the artifact folder is gone only if something else failed first; that error is what matters
  }
}
