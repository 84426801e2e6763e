import { KEY_TRAILER, SAMPLE_TRAILER } from '../worktree/branch';
import { commitOnBranch, diffPatch } from '../worktree/changes';
import { withLock } from '../worktree/lock';
import type { CollectedWork } from './collect';
import { commitSubject } from '../results/commit-subject';
import type { RunStatus } from './outcome';
import type { RunRecord, RunState } from './state';
import type { PlacedWorktree } from './worktree';

/**
 * The work committed on the batch branch, whatever the outcome, with its status in a trailer (a
 * failure found later commits it again with that status); the patch is made alongside.
 */
export async function commitWork({ run, repo, lock, branch, cacheKey, redact, snapshot, sample }: RunState, placed: PlacedWorktree, record: RunRecord, work: CollectedWork): Promise<string> {
  const { change, outcome } = work;
  const { base } = record;
  // The patch compares the same trees as the commit will: made alongside it.
  const patchMade = diffPatch(repo.root, snapshot.commit, change.tree);
  patchMade.catch(() => undefined); // awaited below; a failed commit must not leave it unhandled
  const commitAs = (status: RunStatus) =>
    withLock(lock, () =>
      commitOnBranch(repo, branch, change.tree, snapshot.commit, commitSubject(run.label, run.spec.frontmatter.description, redact), {
        'Nx-Worktree-Ai-Batch': run.label,
        [KEY_TRAILER]: cacheKey,
        'Nx-Worktree-Ai-Agent': redact(`${run.agent} ${placed.version}`),
        'Nx-Worktree-Ai-Model': run.model && redact(run.model),
        'Nx-Worktree-Ai-Session': base.sessionId && redact(base.sessionId),
        'Nx-Worktree-Ai-Cost-Usd': base.costUsd,
        'Nx-Worktree-Ai-Status': status,
        [SAMPLE_TRAILER]: sample ? `${sample.k}/${sample.of}` : null,
      }),
    );
  const commit = await commitAs(outcome.status);
  record.stamped = { commit, status: outcome.status, restamp: commitAs };
  Object.assign(base, { commit, filesChanged: change.files.map((f) => f.path), insertions: change.insertions, deletions: change.deletions });
  record.patch = await patchMade;
  return commit;
}
