import { git, gitRaw, PLUGIN_IDENTITY } from './git';
import { SNAPSHOT_SUBJECT } from './snapshot';
import { listTree, readCommitRef, revParse, type CommitRef } from './tree';
import { diffTrees } from './changes';
import type { RepoInfo } from './repo';
import { recordPluginWrites, refWrite } from './plugin-writes';
import { recordHoldsCommit, recordStoredFrom } from './result-cache';

export const KEY_TRAILER = 'Nx-Worktree-Ai-Cache-Key';
/** `k/N` on the commits of sample k of a batch with `samples`. */
export const SAMPLE_TRAILER = 'Nx-Worktree-Ai-Sample';

/**
 * A sample's own branch (`ai/<project>/<batch>--sample-<k>`, its tip made by that sample): one
 * that was not chosen, since the chosen sample's branch is deleted once its work is on the batch
 * branch. The trailer tells it from a batch that happens to be named `x--sample-2`.
 */
export async function isUnchosenSample(repo: RepoInfo, branch: string, tip: string): Promise<boolean> {
  const k = /--sample-(\d+)$/.exec(branch)?.[1];
  if (k === undefined) return false;
  // A git process of its own: for-each-ref applies one trailer key to all its trailer fields.
  const sample = await git(repo.root, ['log', '-1', `--format=%(trailers:key=${SAMPLE_TRAILER},valueonly)`, tip]);
  return sample.trim().split('/')[0] === k;
}

/**
 * Before a run resets `ai/<project>/<batch>`, make sure the commit it points at stays reachable:
 * it is safe when HEAD already contains it or the result cache holds it; otherwise it is kept
 * under `ai-kept/<project>/<batch>/<time>` and the new name is returned so the run can say so.
 */
export async function keepUnintegratedBranch(repo: RepoInfo, branch: string, now = new Date()): Promise<string | null> {
  const tip = await readCommitRef(repo.root, `refs/heads/${branch}`, [KEY_TRAILER]);
  if (!tip || (await isIntegrated(repo, tip))) return null;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  // Two keeps within one second get -2, -3, ...: a kept branch is never overwritten.
  let kept = `ai-kept/${branch.replace(/^ai\//, '')}/${stamp}`;
  for (let n = 2; await revParse(repo.root, `refs/heads/${kept}`); n++) kept = `ai-kept/${branch.replace(/^ai\//, '')}/${stamp}-${n}`;
  recordPluginWrites(repo, [refWrite(`refs/heads/${kept}`, tip.oid)]);
  await git(repo.root, ['update-ref', `refs/heads/${kept}`, tip.oid, '']);
  return kept;
}

/** What isIntegrated needs of a branch tip (readCommitRef with the cache key trailer). */
export type BranchTip = Pick<CommitRef, 'oid' | 'subject' | 'committer' | 'trailers'>;

/**
 * Whether a batch branch's tip holds nothing that would be lost with the branch: the result cache
 * holds every file it changed (first the one-process check that the record was stored from it),
 * HEAD contains it, it is a bare snapshot (a run that ended before its agent's work was
 * committed: the snapshot is the user's own workspace), or its commits since the snapshot change
 * nothing, or only what HEAD already has (a failed run whose agent changed nothing).
 */
export async function isIntegrated(repo: RepoInfo, tip: BranchTip): Promise<boolean> {
  const key = tip.trailers[KEY_TRAILER];
  if (key && (await recordStoredFrom(repo, key, tip.oid))) return true;
  if (await isAncestor(repo, tip.oid, repo.head)) return true;
  if (key && (await recordHoldsCommit(repo, key, tip.oid))) return true;
  if (tip.subject.startsWith(SNAPSHOT_SUBJECT) && tip.committer === PLUGIN_IDENTITY.GIT_COMMITTER_NAME) return true;
  return changesAlreadyInHead(repo, tip.oid);
}

/** Whether every path the commits since `commit`'s snapshot changed is, in HEAD, as they left it. */
async function changesAlreadyInHead(repo: RepoInfo, commit: string): Promise<boolean> {
  const base = await snapshotBelow(repo, commit);
  if (!base) return false;
  const { entries } = await diffTrees(repo.root, base, commit);
  if (!entries.size) return true;
  const head = await listTree(repo.root, repo.head);
  return [...entries].every(([path, entry]) => {
    const atHead = head.get(path);
    return entry ? atHead?.oid === entry.oid && atHead.mode === entry.mode : !atHead;
  });
}

/** The nearest snapshot commit among the first parents of `commit` (a batch branch starts at one). */
async function snapshotBelow(repo: RepoInfo, commit: string): Promise<string | null> {
  const out = await git(repo.root, ['log', '--first-parent', '-n', '20', '--format=%H%x1f%cn%x1f%s', commit]);
  for (const line of out.split('\n')) {
    const [oid, committer, subject = ''] = line.split('\x1f');
    if (subject.startsWith(SNAPSHOT_SUBJECT) && committer === PLUGIN_IDENTITY.GIT_COMMITTER_NAME) return oid;
  }
  return null;
}

async function isAncestor(repo: RepoInfo, commit: string, of: string): Promise<boolean> {
  const { exitCode } = await gitRaw(repo.root, ['merge-base', '--is-ancestor', commit, of], { okExitCodes: [1] });
  return exitCode === 0;
}
