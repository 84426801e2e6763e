import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { isIntegrated, isUnchosenSample, KEY_TRAILER } from '../worktree/branch';
import { git } from '../worktree/git';
import { recordPluginWrites, refWrite } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import { listRuns } from '../worktree/runs';
import { deleteSavedEdits, listSavedEdits } from '../worktree/saved-edits';
import { readCommitRefs } from '../worktree/tree';
import { listWorktrees } from '../worktree/worktree';
import { removeWorktreeDir } from './cleanup';
import { recoverStaleRuns } from './recover';
import type { RecoverOptions, RecoveryReport } from './report';
import { leftOutLine, salvageWorktree, type Salvaged } from './salvage';

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
 * HEAD, held by the result cache, or a bare snapshot) and the branches of samples that were not
 * chosen (`ai/<project>/<batch>--sample-<k>`). A branch with work found nowhere else is
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
    // A sample that was not chosen: the batch's result is elsewhere, its work only kept for a look.
    const unchosen = !integrated && !salvagedInto.has(branch) && (await isUnchosenSample(repo, branch, tip.oid));
    if (!integrated && !unchosen && !options.force) {
      report.branchesKept.push({ branch, reason: `holds work found nowhere else: merge it (git merge ${branch}) or delete it with --force` });
      continue;
    }
    if (!dry) {
      recordPluginWrites(repo, [refWrite(ref, null)]);
      await git(repo.root, ['update-ref', '-d', ref, tip.oid]);
    }
    report.branchesDeleted.push(branch);
    log(`nx-worktree-ai: ${dry ? 'would delete' : 'deleted'} branch ${branch} (${integrated ? 'integrated' : unchosen ? 'a sample that was not chosen' : 'not integrated, --force'})`);
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
