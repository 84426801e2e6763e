import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { listDir } from '../utils/files';
import type { RepoInfo } from '../worktree/repo';
import { contentSig, walk } from './fingerprint';
import { isBatchHead } from './heads';

// Git files shared with the user's repository: config (also each worktree's config.worktree and the
// user's global git config), hooks/, info/ and objects/info/alternates.

/** Files git's own maintenance rewrites (gc runs update-server-info): never an agent's doing to report. */
const GIT_MAINTENANCE = new Set(['info/refs', 'info/packs']);

export function gitFileState(repo: RepoInfo): Map<string, string> {
  const state = new Map<string, string>();
  const add = (path: string) => state.set(path, contentSig(path));
  add(join(repo.commonDir, 'config'));
  add(join(repo.commonDir, 'objects', 'info', 'alternates'));
  for (const name of listDir(join(repo.commonDir, 'worktrees'))) add(join(repo.commonDir, 'worktrees', name, 'config.worktree'));
  for (const dir of ['hooks', 'info']) for (const file of walk(join(repo.commonDir, dir))) if (!GIT_MAINTENANCE.has(relative(repo.commonDir, file))) add(file);
  for (const file of globalConfigFiles()) add(file);
  return state;
}

/**
 * With `extensions.worktreeConfig` (which `git sparse-checkout` turns on), `git worktree add` copies
 * the main worktree's config.worktree into the worktree it adds, and `git worktree remove` takes it
 * away with the worktree: batch worktrees added or removed during the run (other batches add theirs
 * without the workspace lock) bring or take one. Explained only for a worktree on a batch branch or
 * one git is still adding (no HEAD yet in `heads`): a new one when it is exactly the main worktree's
 * (git drops core.bare and core.worktree from its copy; a main config.worktree holding those is
 * reported, safe side), a deleted one when its worktree's whole registration went with it
 * (headFindings reports a registration removed that was not a batch's).
 */
export function comesWithABatchWorktree(repo: RepoInfo, path: string, how: string, headsBefore: Map<string, string>, headsAfter: Map<string, string>): boolean {
  const admin = join(repo.commonDir, 'worktrees');
  if (dirname(dirname(path)) !== admin || basename(path) !== 'config.worktree') return false;
  const name = basename(dirname(path));
  const batchOrAdding = (head: string | undefined) => head === undefined || isBatchHead(head);
  if (how === 'created') return batchOrAdding(headsAfter.get(name)) && contentSig(path) === contentSig(join(repo.commonDir, 'config.worktree'));
  return how === 'deleted' && batchOrAdding(headsBefore.get(name)) && !existsSync(dirname(path));
}

function globalConfigFiles(): string[] {
  const home = homedir();
  const xdg = process.env.XDG_CONFIG_HOME || join(home, '.config');
  const files = [join(home, '.gitconfig'), join(xdg, 'git', 'config')];
  if (process.env.GIT_CONFIG_GLOBAL) files.push(resolve(process.env.GIT_CONFIG_GLOBAL));
  return files;
}
