import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifySettings } from '../resolve/verify';
import { collectChanges, diffTrees } from '../worktree/changes';
import { git } from '../worktree/git';
import type { Worktree } from '../worktree/worktree';
import { confinedCommand, type AgentRunInput } from './agent';
import type { RunState } from './state';
import { runVerify, type VerifyRun } from './verify';

/**
 * One verify run on the agent's work, confined like the agent, leaving the work as it was: what the check wrote that git
 * sees (a report, a snapshot file, a build output that is not ignored) is undone afterwards, so
 * it is neither taken for the agent's work nor caught by the scope guard. Ignored files stay.
 */
export async function checkWork(state: RunState, settings: VerifySettings, input: AgentRunInput): Promise<VerifyRun> {
  const { run, ctx, repo, redact, snapshot } = state;
  const { worktree } = input;
  const before = (await collectChanges(repo, worktree, snapshot.commit)).tree;
  // The check runs the agent's code (its tests, its modules): in the agent's sandbox, with the same writable folders.
  const confine = (command: { bin: string; args: string[] }) => confinedCommand('command', input, command, {});
  const verify = await runVerify(settings, worktree.dir, redact, (line) => ctx.log(`[${run.label}] ${line}`), state.sample?.stop, confine);
  const after = (await collectChanges(repo, worktree, snapshot.commit)).tree;
  if (after !== before) {
    const undone = await undoWrites(repo.root, worktree, before, after);
    ctx.log(`[${run.label}] verify changed ${undone.join(', ')}: undone (what the check writes is not part of the work)`);
  }
  return verify;
}

/** Puts back the paths that differ between the trees `before` and `after`; returns them. */
async function undoWrites(repoRoot: string, worktree: Worktree, before: string, after: string): Promise<string[]> {
  const { files } = await diffTrees(repoRoot, before, after);
  const restore = files.filter((f) => f.status !== 'added').map((f) => `:(top,literal)${f.path}`);
  // The git dir recorded at creation, as when the work is collected: never the worktree's own `.git` file.
  const env: Record<string, string> = worktree.gitDir ? { GIT_DIR: worktree.gitDir, GIT_WORK_TREE: worktree.dir } : {};
  if (restore.length) await git(worktree.dir, ['checkout', before, '--', ...restore], { env });
  for (const f of files) if (f.status === 'added') rmSync(join(worktree.dir, f.path), { force: true, recursive: true });
  return files.map((f) => f.path);
}
