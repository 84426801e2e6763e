import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentName } from '../batch/spec';
import { git } from '../worktree/git';
import type { RepoInfo } from '../worktree/repo';
import { listTree, revParse, type TreeEntry, type TreeFiles } from '../worktree/tree';
import type { Worktree } from '../worktree/worktree';
import { ARTIFACTS, type BatchResult } from '../results/result';
import { BatchFailure } from '../results/failure';
import type { BatchRun } from '../resolve/resolve';

/** What `resume` continues: the session and the work of the batch's last run (its result.json). */
export interface LastSession {
  sessionId: string;
  agent: AgentName;
  status: BatchResult['status'];
  /** The commit the last run left on the batch branch (its parent is that run's snapshot). */
  commit: string | null;
  filesChanged: string[];
}

/**
 * Reads `.nx-worktree-ai/<project>/<batch>/result.json` for the executor option `resume`. Throws a
 * message that says what to do when there is nothing to continue.
 */
export function readLastSession(root: string, run: BatchRun): LastSession {
  const file = join(run.artifactDir, ARTIFACTS.result);
  let last: Partial<BatchResult>;
  try {
    last = JSON.parse(readFileSync(join(root, file), 'utf8')) as Partial<BatchResult>;
  } catch {
    throw new Error(`resume: ${file} does not exist or is not JSON: there is no earlier run of ${run.label} to continue; run it without --resume`);
  }
  if (typeof last.sessionId !== 'string' || last.sessionId === '') {
    throw new Error(`resume: the last run of ${run.label} (${file}) recorded no session id (its agent reports none, or it failed before starting); run it without --resume`);
  }
  if (last.agent !== run.agent) {
    throw new Error(`resume: the last session of ${run.label} belongs to ${last.agent}, not ${run.agent}; run with --agent ${last.agent} to continue it`);
  }
  return {
    sessionId: last.sessionId,
    agent: last.agent,
    status: last.status ?? 'failed',
    commit: typeof last.commit === 'string' ? last.commit : null,
    filesChanged: Array.isArray(last.filesChanged) ? last.filesChanged.filter((f): f is string => typeof f === 'string') : [],
  };
}

/** readLastSession, its refusal failing the batch before anything runs. */
export function lastSessionOrFail(root: string, run: BatchRun): LastSession {
  try {
    return readLastSession(root, run);
  } catch (error) {
    throw new BatchFailure((error as Error).message, null);
  }
}

function same(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.oid === b.oid && a.mode === b.mode);
}

/**
 * Puts the last run's work back into a fresh worktree, so the resumed agent finds the files its
 * session remembers writing. Per file the last run changed: already in the snapshot (integrated)
 * -> nothing to do; unchanged in the workspace since that run -> its version is restored; changed
 * on both sides -> refused (naming the files), since restoring would drop the user's edits.
 * Returns the paths restored.
 */
export async function carryOverWork(repo: RepoInfo, worktree: Worktree, snapshotFiles: TreeFiles, last: LastSession, label: string): Promise<string[]> {
  if (last.commit === null || last.filesChanged.length === 0) return [];
  const base = await revParse(repo.root, `${last.commit}^`);
  if (base === null) {
    throw new Error(`resume: the last run's commit ${last.commit.slice(0, 12)} is gone (its branch was deleted or pruned); run ${label} without --resume`);
  }
  const theirs = await listTree(repo.root, last.commit);
  const before = await listTree(repo.root, base);
  const restore: string[] = [];
  const remove: string[] = [];
  const conflicts: string[] = [];
  for (const path of last.filesChanged) {
    const now = snapshotFiles.get(path);
    if (same(now, theirs.get(path))) continue;
    if (!same(now, before.get(path))) conflicts.push(path);
    else if (theirs.has(path)) restore.push(path);
    else remove.push(path);
  }
  if (conflicts.length > 0) {
    throw new Error(
      `resume: ${conflicts.join(', ')} changed in the workspace since the last run of ${label}, which changed them too; ` +
        `merge that run's work (git merge ${last.commit.slice(0, 12)}) or undo those edits, or run without --resume`,
    );
  }
  if (restore.length > 0) await git(worktree.dir, ['checkout', last.commit, '--', ...restore.map((p) => `:(top,literal)${p}`)]);
  for (const path of remove) rmSync(join(worktree.dir, path), { force: true });
  return [...restore, ...remove];
}
