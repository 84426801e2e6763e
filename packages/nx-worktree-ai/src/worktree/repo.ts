import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { gitRaw, type GitOutput } from './git';

/** Facts about the workspace's repository that every step needs. */
export interface RepoInfo {
  /** Workspace root (the Nx root; may be below the git top level). */
  root: string;
  /** git top level. */
  topLevel: string;
  /** Shared git dir (common to all worktrees): locks and temp indexes live here. */
  commonDir: string;
  /** The user's index file (per worktree when the workspace is itself a linked worktree). */
  indexFile: string;
  head: string;
}

export class NotAGitRepoError extends Error {
  constructor(root: string, detail: string) {
    super(`${root} is not a git repository with a commit (${detail}). nx-worktree-ai runs batches in git worktrees: run "git init" and commit once.`);
    this.name = 'NotAGitRepoError';
  }
}

export async function readRepoInfo(root: string): Promise<RepoInfo> {
  // One git process: the three paths, then HEAD's commit (`--verify -q`: nothing and exit 1 before the first commit).
  let out: GitOutput;
  try {
    out = await gitRaw(root, ['rev-parse', '--show-toplevel', '--git-common-dir', '--git-path', 'index', '--verify', '-q', 'HEAD^{commit}'], { okExitCodes: [1] });
  } catch (e) {
    throw new NotAGitRepoError(root, (e as Error).message);
  }
  const [topLevel, commonDir, indexFile, head] = out.stdout.toString('utf8').replace(/\n$/, '').split('\n');
  if (realpathSync(topLevel) !== realpathSync(root)) {
    throw new Error(
      `The Nx workspace root ${root} is not the root of its git repository (${topLevel}). ` +
        'nx-worktree-ai needs the workspace at the top of the repository.',
    );
  }
  if (out.exitCode !== 0 || !head) throw new NotAGitRepoError(root, 'HEAD has no commit yet');
  return {
    root,
    topLevel,
    commonDir: isAbsolute(commonDir) ? commonDir : resolve(root, commonDir),
    indexFile: isAbsolute(indexFile) ? indexFile : resolve(root, indexFile),
    head,
  };
}

/** Stable short id of a workspace, for folders outside it. */
export function workspaceId(root: string): string {
  const base = root.split(/[\\/]/).filter(Boolean).pop() ?? 'workspace';
  return `${base.replace(/[^A-Za-z0-9._-]/g, '_')}-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}

/** Default home of worktrees: outside the workspace, so Nx never sees them as projects. */
export function defaultWorktreeBase(root: string): string {
  return join(tmpdir(), 'nx-worktree-ai', workspaceId(root));
}

export function lockPath(repo: RepoInfo): string {
  return join(repo.commonDir, 'nx-worktree-ai', 'workspace.lock');
}
