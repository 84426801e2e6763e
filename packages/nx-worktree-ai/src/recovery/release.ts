import { relative, resolve } from 'node:path';
import type { RepoInfo } from '../worktree/repo';
import { listRuns, processState, type RunRecord } from '../worktree/runs';
import { listWorktrees } from '../worktree/worktree';
import { removeWorktreeDir } from './cleanup';
import { leftOutLine, salvageWorktree } from './salvage';

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
