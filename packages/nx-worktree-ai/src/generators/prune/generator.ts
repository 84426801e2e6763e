import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { parseOptions } from '../../utils/parse-options';
import { withLock } from '../../worktree/lock';
import { pruneWorkspace } from '../../recovery/prune';
import type { RecoveryReport } from '../../recovery/report';
import { lockPath, readRepoInfo } from '../../worktree/repo';
import { parseAge, pruneGeneratorSchema, type PruneGeneratorOptions } from './schema';

/**
 * `nx g nx-worktree-ai:prune`: cleans what interrupted or crashed runs left (agent processes,
 * worktrees, temp files, registry entries, half-done integrations: see recovery/), the
 * worktrees failed runs kept, and batch branches whose work is integrated. Work found nowhere else
 * is never deleted without `--force`; uncommitted changes in a worktree are committed to a branch
 * before the worktree goes.
 *
 * The generator changes no file of the Tree: the work is done in its callback, which Nx skips
 * under `--dry-run`; a dry run (Nx's flag or the `dryRun` option) prints the plan instead.
 */
export async function pruneGenerator(tree: Tree, rawOptions: PruneGeneratorOptions = {}): Promise<GeneratorCallback> {
  const options = parseOptions(pruneGeneratorSchema, rawOptions, 'nx-worktree-ai:prune');
  const repo = await readRepoInfo(tree.root);
  const settings = { force: options.force, olderThanMs: options.olderThan ? parseAge(options.olderThan) : 0, log: (line: string) => logger.info(line) };
  if (options.dryRun || nxDryRun()) {
    const plan = await withLock(lockPath(repo), () => pruneWorkspace(repo, { ...settings, dryRun: true }));
    logger.info(summarize(plan, true));
    return () => undefined;
  }
  return async () => {
    const report = await withLock(lockPath(repo), () => pruneWorkspace(repo, settings));
    logger.info(summarize(report, false));
  };
}

/** `nx g ... --dry-run` (or -d): Nx keeps the flag to itself and skips the callback. */
function nxDryRun(argv = process.argv.slice(2)): boolean {
  let dry = false;
  for (const arg of argv) {
    if (/^(--dry-run|--dryRun|-d)(=true)?$/.test(arg)) dry = true;
    else if (/^(--no-dry-run|--no-dryRun|--dry-run=false|--dryRun=false)$/.test(arg)) dry = false;
  }
  return dry;
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
  const leftOut = r.salvaged.reduce((sum, s) => sum + s.leftOut.length, 0);
  if (leftOut) parts.push(`${n(leftOut, 'changed path')} outside the batches' outputs not carried onto a kept branch`);
  const head = dryRun ? 'nx-worktree-ai:prune (dry run) would clean: ' : 'nx-worktree-ai:prune cleaned: ';
  const lines = [parts.length ? head + parts.join('; ') : `nx-worktree-ai:prune: nothing ${dryRun ? 'to clean' : 'cleaned'}.`];
  const unmerged = r.branchesKept.filter((b) => b.reason.startsWith('holds work'));
  if (unmerged.length) {
    lines.push(
      `Kept ${n(unmerged.length, 'branch').replace('branchs', 'branches')} with work found nowhere else: ${unmerged.map((b) => b.branch).join(', ')}. ` +
        'Merge what you want (git merge <branch>), then run prune again, or delete them with --force.',
    );
  }
  if (r.savedEditsDeleted.length) lines.push(`Deleted ${n(r.savedEditsDeleted.length, 'save')} of edits a replay overwrote (--force).`);
  if (r.savedEditsKept.length) {
    lines.push(
      `Kept ${n(r.savedEditsKept.length, 'save')} of uncommitted edits a replay overwrote: ${r.savedEditsKept.map((s) => s.ref).join(', ')}. ` +
        'Get an edit back with git checkout <ref> -- <path>; --force deletes them.',
    );
  }
  if (r.live.length) lines.push(`Left alone, still running: ${r.live.map((x) => `${x.label} (pid ${x.pid} on ${x.host})`).join(', ')}.`);
  if (r.notRestored.length) lines.push(`Not put back (changed since the interrupted integration): ${r.notRestored.join(', ')}.`);
  return lines.join('\n');
}

export default pruneGenerator;
