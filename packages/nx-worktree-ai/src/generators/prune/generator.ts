import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { parseOptions } from '../../utils/parse-options';
import { withLock } from '../../worktree/lock';
import { pruneWorkspace, type RecoveryReport } from '../../worktree/recover';
import { lockPath, readRepoInfo } from '../../worktree/repo';
import { parseAge, pruneGeneratorSchema, type PruneGeneratorOptions } from './schema';

/**
 * `nx g nx-worktree-ai:prune`: cleans what interrupted or crashed runs left (agent processes,
 * worktrees, temp files, registry entries, half-done integrations: see worktree/recover.ts), the
 * worktrees failed runs kept, and batch branches whose work is integrated. Work found nowhere else
 * is never deleted without `--force`; uncommitted changes in a worktree are committed to a branch
 * before the worktree goes.
 *
 * The generator changes no file of the Tree: it prints the plan (a dry run, under the workspace
 * lock) and does the work in its callback, which Nx skips under `--dry-run`.
 */
export async function pruneGenerator(tree: Tree, rawOptions: PruneGeneratorOptions = {}): Promise<GeneratorCallback> {
  const options = parseOptions(pruneGeneratorSchema, rawOptions, 'nx-worktree-ai:prune');
  const repo = await readRepoInfo(tree.root);
  const settings = { force: options.force, olderThanMs: options.olderThan ? parseAge(options.olderThan) : 0 };
  const plan = await withLock(lockPath(repo), () => pruneWorkspace(repo, { ...settings, dryRun: true, log: (line) => logger.info(line) }));
  if (options.dryRun) {
    logger.info(summarize(plan, true));
    return () => undefined;
  }
  return async () => {
    const report = await withLock(lockPath(repo), () => pruneWorkspace(repo, settings));
    logger.info(summarize(report, false));
  };
}

export function summarize(r: RecoveryReport, dryRun: boolean): string {
  const parts: string[] = [];
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  if (r.runs.length) parts.push(n(r.runs.length, 'dead run') + ` (${r.runs.map((x) => x.label).join(', ')})`);
  if (r.agentsKilled.length) parts.push(`${n(r.agentsKilled.length, 'orphaned agent')} stopped`);
  if (r.restored.length) parts.push(`${n(r.restored.length, 'file')} of an interrupted integration put back`);
  if (r.salvaged.length) parts.push(`unfinished work kept on ${r.salvaged.map((s) => s.branch).join(', ')}`);
  if (r.worktreesRemoved.length) parts.push(`${n(r.worktreesRemoved.length, 'worktree')} removed`);
  if (r.tempFiles.length) parts.push(`${n(r.tempFiles.length, 'temp file')} removed`);
  if (r.branchesDeleted.length) parts.push(`${n(r.branchesDeleted.length, 'branch')} deleted`.replace('branchs', 'branches'));
  const head = dryRun ? 'nx-worktree-ai:prune (dry run) would clean: ' : 'nx-worktree-ai:prune cleaned: ';
  const lines = [parts.length ? head + parts.join('; ') : `nx-worktree-ai:prune: nothing ${dryRun ? 'to clean' : 'cleaned'}.`];
  const unmerged = r.branchesKept.filter((b) => b.reason.startsWith('holds work'));
  if (unmerged.length) {
    lines.push(
      `Kept ${n(unmerged.length, 'branch').replace('branchs', 'branches')} with work found nowhere else: ${unmerged.map((b) => b.branch).join(', ')}. ` +
        'Merge what you want (git merge <branch>), then run prune again, or delete them with --force.',
    );
  }
  if (r.live.length) lines.push(`Left alone, still running: ${r.live.map((x) => `${x.label} (pid ${x.pid} on ${x.host})`).join(', ')}.`);
  if (r.notRestored.length) lines.push(`Not put back (changed since the interrupted integration): ${r.notRestored.join(', ')}.`);
  return lines.join('\n');
}

export default pruneGenerator;
