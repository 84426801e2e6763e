import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { git } from '../worktree/git';
import type { RepoInfo } from '../worktree/repo';
import { groupMembers, processStart, type ProcessRef } from '../worktree/runs';
import { listWorktrees } from '../worktree/worktree';
import { isSymlink } from './salvage';

// What recovery, release and prune remove: a dead run's agent processes and a batch's worktree.

/**
 * SIGKILLs what is left of an agent's process group once its run is dead. The group id is the
 * leader's pid; a live leader with another start time is an unrelated process (pid reuse): skipped.
 */
export async function stopOrphanGroup(agent: ProcessRef, dry: boolean): Promise<boolean> {
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

export async function removeWorktreeDir(repo: RepoInfo, dir: string): Promise<void> {
  // The node_modules link first, so nothing can follow it into the workspace's own node_modules.
  if (isSymlink(join(dir, 'node_modules'))) rmSync(join(dir, 'node_modules'), { force: true });
  await git(repo.root, ['worktree', 'remove', '--force', '--force', '--', dir]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

export function isRegisteredWorktree(repo: RepoInfo, dir: string): boolean {
  return listWorktrees(repo).some((w) => resolve(w.path) === resolve(dir));
}
