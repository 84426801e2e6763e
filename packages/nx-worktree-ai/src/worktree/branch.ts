import { git, gitRaw } from './git';
import { revParse } from './tree';
import type { RepoInfo } from './repo';
import { recordHoldsCommit } from './result-cache';

export const KEY_TRAILER = 'Nx-Worktree-Ai-Cache-Key';

/**
 * Before a run resets `ai/<project>/<batch>`, make sure the commit it points at stays reachable:
 * it is safe when HEAD already contains it or the result cache holds it; otherwise it is kept
 * under `ai-kept/<project>/<batch>/<time>` and the new name is returned so the run can say so.
 */
export async function keepUnintegratedBranch(repo: RepoInfo, branch: string, now = new Date()): Promise<string | null> {
  const tip = await revParse(repo.root, `refs/heads/${branch}`);
  if (!tip || (await isAncestor(repo, tip, repo.head))) return null;
  const key = (await git(repo.root, ['log', '-1', `--format=%(trailers:key=${KEY_TRAILER},valueonly)`, tip])).trim();
  if (key && (await recordHoldsCommit(repo, key, tip))) return null;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const kept = `ai-kept/${branch.replace(/^ai\//, '')}/${stamp}`;
  await git(repo.root, ['branch', kept, tip]);
  return kept;
}

async function isAncestor(repo: RepoInfo, commit: string, of: string): Promise<boolean> {
  const { exitCode } = await gitRaw(repo.root, ['merge-base', '--is-ancestor', commit, of], { okExitCodes: [1] });
  return exitCode === 0;
}
