import { simpleGit, type SimpleGit, type SimpleGitOptions } from 'simple-git';
import { git, GIT_ENV, GitError } from './git';
import type { RepoInfo } from './repo';
import { CACHE_REF_PREFIX } from './result-cache';

/** Result-cache refs travel as they are; keys are content hashes, so a key never means two results. */
const REFSPEC = `${CACHE_REF_PREFIX}*:${CACHE_REF_PREFIX}*`;

export interface ShareSummary {
  remote: string;
  /** Keys the other side did not have before. */
  transferred: string[];
  /** Keys on this side after the transfer. */
  total: number;
}

/** `nx-worktree-ai cache push`: sends every result this clone has and the remote lacks. */
export async function pushResults(repo: RepoInfo, remote: string): Promise<ShareSummary> {
  assertRemoteName(remote);
  const before = new Set(await remoteKeys(repo, remote));
  await onRemote(repo, ['push', remote, REFSPEC], (git) => git.push(remote, REFSPEC, ['--quiet']));
  const local = await localKeys(repo);
  return { remote, transferred: local.filter((key) => !before.has(key)), total: local.length };
}

/** `nx-worktree-ai cache pull`: fetches every result the remote has (existing keys are kept as they are). */
export async function pullResults(repo: RepoInfo, remote: string): Promise<ShareSummary> {
  assertRemoteName(remote);
  const before = new Set(await localKeys(repo));
  await onRemote(repo, ['fetch', remote, REFSPEC], (git) => git.fetch(remote, REFSPEC, ['--quiet', '--no-tags']));
  const after = await localKeys(repo);
  return { remote, transferred: after.filter((key) => !before.has(key)), total: after.length };
}

async function localKeys(repo: RepoInfo): Promise<string[]> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(refname)', '--', CACHE_REF_PREFIX]);
  return out.split('\n').filter(Boolean).map((ref) => ref.slice(CACHE_REF_PREFIX.length));
}

async function remoteKeys(repo: RepoInfo, remote: string): Promise<string[]> {
  const args = ['ls-remote', '--refs', remote, `${CACHE_REF_PREFIX}*`];
  const out = await onRemote(repo, args, (git) => git.listRemote(args.slice(1)));
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1].slice(CACHE_REF_PREFIX.length));
}

/** A remote is a name or URL, never an option (`--upload-pack=...`). */
function assertRemoteName(remote: string): void {
  if (!remote || remote.startsWith('-') || /[\0-\x1f]/.test(remote)) {
    throw new Error(`"${remote}" is not a git remote: give a remote name (e.g. origin) or URL.`);
  }
}

/**
 * simple-git's guard refuses settings that run programs, from the arguments or the environment.
 * The environment is the user's own (GIT_SSH_COMMAND for a deploy key, EDITOR, PAGER, config in
 * GIT_CONFIG_COUNT) and git always ran with it, so those are allowed; --upload-pack, --receive-pack
 * and --exec stay refused, on top of assertRemoteName.
 */
const USER_ENVIRONMENT: SimpleGitOptions['unsafe'] = {
  allowUnsafeAlias: true,
  allowUnsafeAskPass: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeDiffTextConv: true,
  allowUnsafeEditor: true,
  allowUnsafeFilter: true,
  allowUnsafeFsMonitor: true,
  allowUnsafeGitProxy: true,
  allowUnsafeGpgProgram: true,
  allowUnsafeHooksPath: true,
  allowUnsafeMergeDriver: true,
  allowUnsafePager: true,
  allowUnsafeProtocolOverride: true,
  allowUnsafeSshCommand: true,
  allowUnsafeTemplateDir: true,
};

/** Runs a simple-git remote operation with git.ts's environment; a failure is a GitError naming `args`. */
async function onRemote<T>(repo: RepoInfo, args: string[], operation: (git: SimpleGit) => Promise<T>): Promise<T> {
  let failed: GitError | undefined;
  const remote = simpleGit({
    baseDir: repo.root,
    unsafe: USER_ENVIRONMENT,
    // simple-git wraps what this returns in its own error; the exit code and stderr are kept here.
    errors: (error, result) => {
      if (result.exitCode !== 0) failed = new GitError(args, result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
      return error;
    },
  }).env({ ...process.env, ...GIT_ENV });
  try {
    return await operation(remote);
  } catch (error) {
    throw failed ?? error;
  }
}
