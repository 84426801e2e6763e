import { resolve } from 'node:path';
import { globMatcher } from '../batch/paths';
import { confinementFor, type Confinement, type SandboxChoice } from '../sandbox';
import { keepUnintegratedBranch } from '../worktree/branch';
import { captureSharedState, completeBaseline, type SharedBaseline } from '../guard/integrity';
import type { IntegrityBaseline, IntegrityScope } from '../guard/scope';
import { withLock } from '../worktree/lock';
import { releaseBranch } from '../recovery/release';
import { defaultWorktreeBase } from '../worktree/repo';
import { checkoutWorktree, pointBranch, registerWorktree, removeWorktree, type Worktree } from '../worktree/worktree';
import { promptFileOf } from './invocation';
import type { GenerateOptions } from '../resolve/options';
import type { FoundAgent } from './find-agent';
import type { BatchRun } from '../resolve/resolve';
import type { RunState } from './state';

export interface PlacedWorktree {
  worktree: Worktree;
  bin: string;
  sandbox: SandboxChoice;
  /** The integrity baseline taken with the branch (none with a setup command: taken after it). */
  baseline: IntegrityBaseline | null;
  version: string | null;
  confinement: Confinement | null;
  /** What the integrity check looks at, and what a confined agent may write. */
  scope: IntegrityScope;
}

/** The batch branch on the snapshot and its worktree checked out; the first progress line. */
export async function placeWorktree(state: RunState, agent: FoundAgent): Promise<PlacedWorktree> {
  const { run, options, ctx, repo, lock, branch, clock, life } = state;
  const baseDir = options.worktreeDir ?? defaultWorktreeBase(ctx.root);
  life.checkpoint('before the agent started');
  const worktreeBase = resolve(ctx.root, baseDir);
  const waitForVersion = async (error: unknown) => {
    await agent.asked;
    throw error;
  };
  const sharedState = await holdBranch(state, baseDir, worktreeBase, agent.sandbox).catch(waitForVersion);
  const worktree = await addWorktree(state, baseDir).catch(waitForVersion);
  const baseline = sharedState ? completeBaseline(sharedState, worktree.dir) : null;
  clock.mark('worktree');
  const { version, error: versionError } = await agent.asked;
  clock.mark('agentVersion');
  if (versionError) {
    await withLock(lock, () => removeWorktree(repo, worktree)).catch(() => undefined);
    throw versionError;
  }
  const sandbox = agent.sandbox;
  const sparse = worktree.cone ? ` (sparse: ${worktree.cone.join(', ')})` : '';
  const confinement = sandbox.bwrap ? confinementFor({ agent: run.agent, env: {}, worktreeDir: worktree.dir, gitDir: worktree.gitDir!, commonDir: repo.commonDir, branch, branchTip: state.snapshot.commit }) : null;
  ctx.log(`[${run.label}] ${run.agent}${version ? ` ${version}` : ''} · worktree ${worktree.dir}${sparse} · branch ${branch}${confinement ? ' · sandboxed' : ''}`);
  if (sandbox.bwrap === null && sandbox.why) ctx.log(`[${run.label}] ${unconfinedLine(sandbox.why)}`);
  const scope: IntegrityScope = { repo, worktreeDir: worktree.dir, branch, baseDir: worktreeBase, isOutput: globMatcher(run.outputGlobs), writable: confinement?.writable ?? null };
  return { worktree, bin: agent.bin, sandbox, baseline, version, confinement, scope };
}

/**
 * Under the lock: the branch freed (a dead run's worktree), its unintegrated work kept, the branch
 * pointed at the snapshot, and the integrity baseline (what happens before the agent starts only
 * touches the batch's own worktree and branch), its scans beside the rest. Not with a setup
 * command, whose own writes are no agent's doing: the baseline is taken after it.
 */
async function holdBranch({ run, options, ctx, repo, lock, branch, snapshot }: RunState, baseDir: string, worktreeBase: string, sandbox: SandboxChoice): Promise<SharedBaseline | null> {
  return withLock(lock, async () => {
    await releaseBranch(repo, branch, baseDir, ctx.log);
    const state = options.setupCommand ? null : captureSharedState(repo, worktreeBase, Date.now(), sandbox.bwrap !== null).catch(() => null);
    const kept = await keepUnintegratedBranch(repo, branch);
    if (kept) ctx.log(`[${run.label}] earlier unintegrated work on ${branch} kept as branch ${kept}`);
    await pointBranch(repo, branch, snapshot.commit);
    return state;
  });
}

/**
 * The worktree outside the lock, side by side with other batches starting (worktree/worktree.ts
 * registerWorktree); a failed checkout takes its worktree with it.
 */
async function addWorktree({ run, options, repo, lock, branch, life, snapshot }: RunState, baseDir: string): Promise<Worktree> {
  const cone = chooseCone(run, options, snapshot.files.size);
  const added = await registerWorktree(repo, {
    baseDir,
    name: `${run.project}--${run.spec.name}`,
    branch,
    cone,
    beforeAdd: (dir) => life.registration.update({ worktree: dir, snapshot: snapshot.commit, tempFiles: [promptFileOf(dir)], outputs: run.outputGlobs }),
  });
  try {
    await checkoutWorktree(added, snapshot.commit);
  } catch (error) {
    await withLock(lock, () => removeWorktree(repo, added)).catch(() => undefined);
    throw error;
  }
  return added;
}

/** Worktrees of large workspaces check out only what the batch needs (option `sparse`). */
export const SPARSE_AUTO_FILES = 5_000;

function chooseCone(run: BatchRun, options: GenerateOptions, workspaceFiles: number): string[] | null {
  if (!run.sparseCone || options.sparse === 'never') return null;
  return options.sparse === 'always' || workspaceFiles >= SPARSE_AUTO_FILES ? run.sparseCone : null;
}

function unconfinedLine(why: string): string {
  return `sandbox: not available (${why}); the agent runs unconfined and the integrity check is the only guard (sandbox: required fails instead, sandbox: off silences this line)`;
}
