import { git } from './git';
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
  await git(repo.root, ['push', '--quiet', '--', remote, REFSPEC]);
  const local = await localKeys(repo);
  return { remote, transferred: local.filter((key) => !before.has(key)), total: local.length };
}

/** `nx-worktree-ai cache pull`: fetches every result the remote has (existing keys are kept as they are). */
export async function pullResults(repo: RepoInfo, remote: string): Promise<ShareSummary> {
  assertRemoteName(remote);
  const before = new Set(await localKeys(repo));
  await git(repo.root, ['fetch', '--quiet', '--no-tags', '--', remote, REFSPEC]);
  const after = await localKeys(repo);
  return { remote, transferred: after.filter((key) => !before.has(key)), total: after.length };
}

async function localKeys(repo: RepoInfo): Promise<string[]> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(refname)', '--', CACHE_REF_PREFIX]);
  return out.split('\n').filter(Boolean).map((ref) => ref.slice(CACHE_REF_PREFIX.length));
}

async function remoteKeys(repo: RepoInfo, remote: string): Promise<string[]> {
  const out = await git(repo.root, ['ls-remote', '--refs', '--', remote, `${CACHE_REF_PREFIX}*`]);
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
