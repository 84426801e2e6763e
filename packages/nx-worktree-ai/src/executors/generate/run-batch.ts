import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isRetryable, notInstalled } from '../../agents/failures';
import { acquireSlot, type ReleaseSlot } from '../../utils/slots';
import { phaseClock } from '../../utils/phases';
import { getAdapter } from '../../agents/registry';
import { agentVersion, resolveAgentBin } from '../../agents/resolve-bin';
import { mergeEnv, runAgentProcess } from '../../agents/process';
import { failFast } from '../../agents/fail-fast';
import { createProgress, retryLine } from '../../agents/progress';
import { bypassSettings, bypassWarning } from '../../agents/permissions';
import type { AgentEvent, AgentFailure, AgentResult } from '../../agents/types';
import { parseDuration } from '../../batch/duration';
import { globMatcher } from '../../batch/paths';
import { keepUnintegratedBranch, KEY_TRAILER } from '../../worktree/branch';
import { applyEntries, changedSinceCheckout, collectChanges, commitOnBranch, diffPatch, type CollectedChange } from '../../worktree/changes';
import { withLock } from '../../worktree/lock';
import { defaultWorktreeBase, lockPath, readRepoInfo, type RepoInfo } from '../../worktree/repo';
import { storeResult } from '../../worktree/result-cache';
import { sharedSnapshot, type PendingSnapshot, type Snapshot } from '../../worktree/snapshot';
import type { TreeFiles } from '../../worktree/tree';
import { captureBaseline, captureSharedState, checkIntegrity, completeBaseline, describeFindings, escapingSymlinks, reachedOutsideMessage, type IntegrityScope } from '../../worktree/integrity';
import { noRedaction, redactFiles, type Redactor } from '../../utils/redact';
import { batchBranchName, checkoutWorktree, pointBranch, prepareWorktree, registerWorktree, removeWorktree, resetWorktree, type Worktree } from '../../worktree/worktree';
import { releaseBranch } from '../../worktree/recover';
import { rememberScope } from '../../worktree/salvage';
import { beginRun, type RunLifecycle } from './run-lifecycle';
import { RunInterrupted } from '../../utils/signal-guard';
import type { BatchRun } from './batch-run';
import { resultCacheKey } from './cache-key';
import { agentRunRequest, agentSection, promptFileOf } from './invocation';
import { renderPrompt } from './prompt';
import { carryOverWork, readLastSession, type LastSession } from './resume';
import { decideOutcome, replayable, restampAfterFailure, thrownOutcome, type RunStatus, type StampedCommit } from './outcome';
import { addAttempt, backoffDelay, emptyTotals, type AttemptTotals } from './retry';
import { ARTIFACTS, NO_TOKENS, serializeArtifacts, writeArtifacts, type BatchResult } from './result';
import type { GenerateOptions } from './schema';
import { blockedWrites, chooseSandbox, confineCommand, confinementFor, type Confinement, type SandboxChoice } from '../../sandbox';
import { BatchFailure } from './failure';
import { integrateFresh } from '../../integrate/fresh';
import { lookupReplayable, replay } from '../../integrate/replay';

export { BatchFailure };

export interface RunContext {
  root: string;
  /** Progress and log lines; the executor redacts them before they reach the terminal. */
  log: (line: string) => void;
  /** Applied to the transcript, artifacts and commit messages (utils/redact.ts). */
  redact?: Redactor;
}

/** DESIGN "what one batch run does", steps 2-9 (step 1, validation, happened in resolveBatchRun). */
export async function runBatch(run: BatchRun, options: GenerateOptions, ctx: RunContext): Promise<BatchResult> {
  const startedAt = new Date();
  const clock = phaseClock();
  const repo = await readRepoInfo(ctx.root);
  const lock = lockPath(repo);
  const prompt = renderPrompt(run);
  const branch = batchBranchName(run.project, run.spec.name);
  // Crash safety: clean up after dead runs, register this one, hold signals until it ends.
  let chosen: PendingSnapshot | undefined;
  const life = await beginRun(repo, lock, { root: ctx.root, project: run.project, batch: run.spec.name, branch }, ctx.log, async () => {
    clock.mark('start');
    chosen = await sharedSnapshot(repo);
  });
  try {
    const snapshot: Snapshot = { ...chosen!, files: await chosen!.files };
    clock.mark('snapshot');
    return await runBatchSteps(run, options, ctx, { startedAt, clock, repo, lock, prompt, branch, life, snapshot });
  } catch (error) {
    if (error instanceof RunInterrupted) throw new BatchFailure(error.message, null);
    throw error;
  } finally {
    life.end();
  }
}

interface RunState {
  startedAt: Date;
  clock: ReturnType<typeof phaseClock>;
  repo: RepoInfo;
  lock: string;
  prompt: string;
  branch: string;
  life: RunLifecycle;
  snapshot: Snapshot;
}

async function runBatchSteps(run: BatchRun, options: GenerateOptions, ctx: RunContext, state: RunState): Promise<BatchResult> {
  const { startedAt, clock, repo, lock, prompt, branch, life } = state;
  const redact = ctx.redact ?? noRedaction;
  const { commit: snapshot, files: snapshotFiles, shared } = state.snapshot;
  const cacheKey = resultCacheKey(run, prompt, options.agentArgs, snapshotFiles);

  // resume: continue the last session; a stored result would not be a continuation.
  const last = options.resume ? lastSessionOrFail(ctx.root, run) : null;
  const hit = options.resultCache && !last ? replayable(await lookupReplayable(repo, cacheKey)) : null;
  if (hit) return replay(run, ctx, repo, { hit, snapshot, snapshotFiles, branch, cacheKey, startedAt, life });

  const adapter = getAdapter(run.agent);
  // The command agent names its program per batch (command[0]).
  const binName = adapter.bin || run.spec.frontmatter.command?.[0] || '';
  const bin = resolveAgentBin(binName, ctx.root, options.agentBin);
  if (!bin) throw new BatchFailure(notInstalled(binName, adapter.npmPackage, adapter.install).message, null);
  // A failure that is certain before the CLI starts (amp without credentials would hang).
  const preflight = adapter.preflight?.(mergeEnv({}));
  if (preflight) throw new BatchFailure(preflight.message, null);
  const sandbox = sandboxOrFail(run);
  // Asked while the worktree is made (it is a process start of its own, and needs nothing of it).
  const asked = agentVersion(bin, adapter.versionArgs).then(
    (version) => ({ version, error: null }),
    (error: Error) => ({ version: null, error }),
  );

  const baseDir = options.worktreeDir ?? defaultWorktreeBase(ctx.root);
  life.checkpoint('before the agent started');
  const worktreeBase = resolve(ctx.root, baseDir);
  const scopeOf = (dir: string): IntegrityScope => ({ repo, worktreeDir: dir, branch, baseDir: worktreeBase, isOutput: globMatcher(run.outputGlobs) });
  // Under the lock: the branch freed (a dead run's worktree), its unintegrated work kept, the branch
  // pointed at the snapshot, and the integrity baseline (what happens before the agent starts only
  // touches the batch's own worktree and branch), its scans beside the rest. Not with a setup
  // command, whose own writes are no agent's doing: the baseline is taken after it.
  const sharedState = await withLock(lock, async () => {
    await releaseBranch(repo, branch, baseDir, ctx.log);
    const state = options.setupCommand ? null : captureSharedState(repo, worktreeBase, Date.now(), sandbox.bwrap !== null).catch(() => null);
    const kept = await keepUnintegratedBranch(repo, branch);
    if (kept) ctx.log(`[${run.label}] earlier unintegrated work on ${branch} kept as branch ${kept}`);
    await pointBranch(repo, branch, snapshot);
    return state;
  }).catch(async (error) => {
    await asked;
    throw error;
  });
  // The worktree outside the lock, side by side with other batches starting (worktree/worktree.ts
  // registerWorktree); a failed checkout takes its worktree with it.
  const cone = chooseCone(run, options, snapshotFiles.size);
  const worktree = await registerWorktree(repo, { baseDir, name: `${run.project}--${run.spec.name}`, branch, cone, beforeAdd: (dir) => life.registration.update({ worktree: dir, snapshot, tempFiles: [promptFileOf(dir)], outputs: run.outputGlobs }) })
    .then((added) =>
      checkoutWorktree(added, snapshot).then(
        () => added,
        async (error) => {
          await withLock(lock, () => removeWorktree(repo, added)).catch(() => undefined);
          throw error;
        },
      ),
    )
    .catch(async (error) => {
      await asked;
      throw error;
    });
  const baseline = sharedState ? completeBaseline(sharedState, worktree.dir) : null;
  clock.mark('worktree');
  const { version, error: versionError } = await asked;
  clock.mark('agentVersion');
  if (versionError) {
    await withLock(lock, () => removeWorktree(repo, worktree)).catch(() => undefined);
    throw versionError;
  }
  const sparse = worktree.cone ? ` (sparse: ${worktree.cone.join(', ')})` : '';
  const confinement = sandbox.bwrap ? confinementFor({ agent: run.agent, env: {}, worktreeDir: worktree.dir, gitDir: worktree.gitDir!, commonDir: repo.commonDir, branch, branchTip: snapshot }) : null;
  ctx.log(`[${run.label}] ${run.agent}${version ? ` ${version}` : ''} · worktree ${worktree.dir}${sparse} · branch ${branch}${confinement ? ' · sandboxed' : ''}`);
  if (sandbox.bwrap === null && sandbox.why) ctx.log(`[${run.label}] ${unconfinedLine(sandbox.why)}`);

  const base: Omit<BatchResult, 'status' | 'error' | 'finishedAt' | 'durationMs'> = {
    project: run.project,
    batch: run.spec.name,
    agent: run.agent,
    agentVersion: version,
    model: run.model,
    sessionId: null,
    turns: null,
    tokens: { ...NO_TOKENS },
    costUsd: null,
    startedAt: startedAt.toISOString(),
    cacheKey,
    branch,
    commit: null,
    filesChanged: [],
    insertions: null,
    deletions: null,
  };
  const transcript: string[] = [];
  let patch = '';
  const keepWorktree = options.keepWorktree;
  let removed = false;
  let stamped: StampedCommit | null = null;
  try {
    prepareWorktree(repo, worktree, options);
    if (options.setupCommand) await runSetupCommand(run, options.setupCommand, worktree, ctx);
    life.registration.update({ prepared: worktree.prepared });
    rememberScope(worktree, { outputs: run.outputGlobs, prepared: worktree.prepared });
    const promptFile = promptFileOf(worktree.dir);
    writeFileSync(promptFile, prompt);
    for (const setting of bypassSettings({ agent: run.agent, section: agentSection(run), agentArgs: options.agentArgs })) ctx.log(bypassWarning(run.label, setting));
    const scope = { ...scopeOf(worktree.dir), writable: confinement?.writable ?? null };
    const before = baseline ?? (await withLock(lock, () => captureBaseline(scope)));
    clock.mark('prepare');
    const release = await takeAgentSlot(run, options, ctx, repo);
    clock.mark('slotWait');
    life.checkpoint('before the agent started');
    const input: AgentRunInput = { bin, worktree, prompt, promptFile, transcript, stderr: [], last, snapshot, snapshotFiles, repo, sandbox, branch, onStart: (pid) => life.agentStarted(pid) };
    const { totals, failure } = await runAttempts(run, options, ctx, input).finally(release);
    clock.mark('agent');
    life.agentStarted(null);
    // "Nobody in": what changed outside the worktree while the agent ran (worktree/integrity.ts).
    // A check that cannot run fails the batch safe, but never before the work is on the branch.
    // The work is collected from the worktree meanwhile: it reads only the worktree, and neither is done without the other.
    rmSync(promptFile, { force: true });
    const [observed, change] = await Promise.all([
      withLock(lock, () => checkIntegrity(scope, before)).catch((e: Error) => [`(the check itself failed: ${e.message})`]),
      collectChanges(repo, worktree, snapshot),
    ]);
    Object.assign(base, { sessionId: totals.sessionId, turns: totals.turns, tokens: totals.tokens, costUsd: totals.costUsd });

    const resultFiles = applyEntries(snapshotFiles, change.entries);
    const changedPaths = change.files.filter((f) => f.status !== 'deleted').map((f) => f.path);
    const symlinks = await escapingSymlinks(repo.root, resultFiles, changedPaths).catch((e: Error) => [`(the symlink check failed: ${e.message})`]);
    const transcriptPath = join(run.artifactDir, ARTIFACTS.transcript);
    const warnOnly = options.integrity === 'warn' && observed.length > 0;
    if (warnOnly) ctx.log(`[${run.label}] warning: ${describeFindings(observed)} (integrity: warn, so the result is applied anyway; see ${transcriptPath})`);
    // What a confined agent tried to write in the workspace or its git dir, refused by the sandbox.
    const refused = confinement ? blockedWrites([...transcript, ...input.stderr], [repo.root, repo.commonDir]).map((path) => `tried to write ${path} (refused by the sandbox)`) : [];
    const reached = [...(warnOnly ? [] : observed), ...symlinks, ...refused];
    const outcome = decideOutcome(run, {
      failure,
      signal: life.guard.received,
      // A confined run's findings are the agent's own (only what it could write is compared).
      outside: reached.length ? reachedOutsideMessage(reached, branch, transcriptPath, observed.length > 0 && !warnOnly && !confinement) : null,
      scope: scopeViolation(run, change, branch),
      filesChanged: change.files.length,
      resumedFiles: last?.filesChanged.length ?? 0,
      permissionDenials: totals.permissionDenials,
      branch,
      transcriptPath,
    });
    // The patch compares the same trees as the commit will: made alongside it.
    const patchMade = diffPatch(repo.root, snapshot, change.tree);
    patchMade.catch(() => undefined); // awaited below; a failed commit must not leave it unhandled
    const commitAs = (status: RunStatus) =>
      withLock(lock, () =>
        commitOnBranch(repo, branch, change.tree, snapshot, redact(`${run.label}: ${run.spec.frontmatter.description ?? 'AI batch'}`), {
          'Nx-Worktree-Ai-Batch': run.label,
          [KEY_TRAILER]: cacheKey,
          'Nx-Worktree-Ai-Agent': redact(`${run.agent} ${version}`),
          'Nx-Worktree-Ai-Model': run.model && redact(run.model),
          'Nx-Worktree-Ai-Session': base.sessionId && redact(base.sessionId),
          'Nx-Worktree-Ai-Cost-Usd': base.costUsd,
          'Nx-Worktree-Ai-Status': status,
        }),
      );
    const commit = await commitAs(outcome.status);
    stamped = { commit, status: outcome.status, restamp: commitAs };
    Object.assign(base, { commit, filesChanged: change.files.map((f) => f.path), insertions: change.insertions, deletions: change.deletions });
    patch = await patchMade;

    if (!outcome.ok) {
      const result = finish(base, outcome.status, outcome.message, startedAt);
      writeArtifacts(ctx.root, run.artifactDir, redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact));
      throw new BatchFailure(outcome.message!, result);
    }

    life.checkpoint('before integration', branch);
    clock.mark('collect');
    await withLock(lock, () => integrateFresh(run, repo, { root: ctx.root, log: ctx.log, redact: ctx.redact, patch, commit, branch, life }));
    const result = finish(base, outcome.status, null, startedAt);
    const files = redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact);
    clock.mark('integrate');
    // The result is stored while the worktree goes: one hold of the lock, both at once.
    const [stored] = await withLock(lock, () =>
      Promise.allSettled([
        // An empty result (allowEmpty) is never stored: a replay of "nothing" would pass for work done.
        options.resultCache && outcome.status === 'succeeded' ? storeResult(repo, cacheKey, onlyOutputs(resultFiles, run), files, commit) : null,
        keepWorktree ? null : removeWorktree(repo, worktree).then(() => (removed = true)),
      ]),
    );
    if (stored.status === 'rejected') throw stored.reason;
    writeArtifacts(ctx.root, run.artifactDir, files);
    return result;
  } catch (error) {
    if (error instanceof BatchFailure && error.result) throw error;
    // Every failure leaves a result.json (a conflict, a failed setup command, a git error...), with the patch when there is one.
    const thrown = thrownOutcome(error, life.guard.received);
    // The branch commit's status trailer says what result.json says (a conflict, a late signal...).
    const { commit, message } = await restampAfterFailure(stamped, thrown.status, thrown.message);
    base.commit = commit;
    const result = finish(base, thrown.status, message, startedAt);
    writeArtifacts(ctx.root, run.artifactDir, redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact));
    throw new BatchFailure(message, result);
  } finally {
    if (keepWorktree) ctx.log(`[${run.label}] worktree kept at ${worktree.dir}`);
    else if (!removed) await withLock(lock, () => removeWorktree(repo, worktree)).catch(() => undefined);
    clock.mark('cleanup');
    writeTimings(ctx.root, run.artifactDir, clock.phases, shared ? 'shared' : 'taken');
  }
}

interface AgentRunInput {
  bin: string;
  worktree: Worktree;
  prompt: string;
  promptFile: string;
  transcript: string[];
  /** The stderr tail of each attempt (refused writes are found there too). */
  stderr: string[];
  /** resume: the session and work to continue. */
  last: LastSession | null;
  snapshot: string;
  snapshotFiles: TreeFiles;
  repo: RepoInfo;
  sandbox: SandboxChoice;
  branch: string;
  onStart?(pid: number): void;
}

/**
 * Runs the agent, and again (from a clean worktree, after a backoff with full jitter) while it
 * fails rate limited or overloaded, at most `retries` more times. Usage is summed over attempts.
 */
async function runAttempts(run: BatchRun, options: GenerateOptions, ctx: RunContext, input: AgentRunInput): Promise<{ totals: AttemptTotals; failure: AgentFailure | null }> {
  const attempts = options.retries + 1;
  const baseDelayMs = parseDuration(options.retryDelay);
  let totals = emptyTotals();
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await resetWorktree(input.worktree, input.snapshot);
    if (input.last) {
      const restored = await carryOverWork(input.repo, input.worktree, input.snapshotFiles, input.last, run.label);
      if (attempt === 1) {
        const files = restored.length ? ` with its work restored (${restored.length} file(s))` : '';
        ctx.log(`[${run.label}] resuming session ${input.last.sessionId}${files}`);
      }
    }
    const { agentResult, failure, countedTurns } = await runAgent(run, options, ctx, input, attempt);
    totals = addAttempt(totals, agentResult, countedTurns);
    if (!isRetryable(failure) || attempt >= attempts) {
      if (failure && isRetryable(failure) && attempts > 1) {
        return { totals, failure: { ...failure, message: `${failure.message} (gave up after ${attempts} attempts; the executor options retries and retryDelay set how long it tries)` } };
      }
      return { totals, failure };
    }
    const wait = backoffDelay(attempt, baseDelayMs);
    ctx.log(retryLine(run.label, attempt + 1, attempts, wait, failure!));
    input.transcript.push(JSON.stringify({ type: 'nx-worktree-ai', event: 'retry', attempt: attempt + 1, of: attempts, after: failure!.kind, delayMs: wait }));
    await delay(wait);
  }
}

async function runAgent(
  run: BatchRun,
  options: GenerateOptions,
  ctx: RunContext,
  input: AgentRunInput,
  attempt: number,
): Promise<{ agentResult: AgentResult | null; failure: AgentFailure | null; countedTurns: number }> {
  const adapter = getAdapter(run.agent);
  const invocation = adapter.buildInvocation(
    agentRunRequest(run, options, { prompt: input.prompt, promptFile: input.promptFile, cwd: input.worktree.dir, resumeSessionId: input.last?.sessionId ?? null }),
  );
  if (attempt === 1) for (const warning of invocation.warnings ?? []) ctx.log(`[${run.label}] warning: ${warning}`);
  const parse = adapter.createParser(input.worktree.dir);
  const progress = createProgress(run.label);
  // Stops the agent on a failure its stream makes certain (rejected credentials, a dead endpoint).
  const early = failFast(run.agent, invocation, mergeEnv(invocation.env));
  let agentResult: AgentResult | null = null;
  const handle = (events: AgentEvent[]) => {
    for (const event of events) {
      early.check(event);
      if (event.kind === 'result') agentResult = event.result;
      const text = progress(event);
      if (text) ctx.log(text);
    }
  };
  const command = confined(run, input, { bin: input.bin, args: invocation.args }, invocation.env);
  const outcome = await runAgentProcess({
    bin: command.bin,
    args: command.args,
    env: command.env,
    stdin: invocation.stdin,
    cwd: input.worktree.dir,
    timeoutMs: run.timeoutMs,
    transcript: (line: string) => input.transcript.push((ctx.redact ?? noRedaction)(line)),
    onStart: input.onStart,
    onLine: (line: string) => handle(parse(line)),
    signal: early.signal,
    redact: ctx.redact,
  });
  input.stderr.push(outcome.stderrTail);
  // CLIs without a final result event (opencode) assemble it once the stream is over.
  handle(parse.end?.() ?? []);
  const failure = early.failure ?? adapter.classify({ ...outcome, result: agentResult });
  return { agentResult, failure, countedTurns: progress.turns() };
}

/** The batch's sandbox choice; a `required` one that cannot be had fails the batch before anything runs. */
function sandboxOrFail(run: BatchRun): SandboxChoice {
  try {
    return chooseSandbox(run.sandbox);
  } catch (error) {
    throw new BatchFailure((error as Error).message, null);
  }
}

function unconfinedLine(why: string): string {
  return `sandbox: not available (${why}); the agent runs unconfined and the integrity check is the only guard (sandbox: required fails instead, sandbox: off silences this line)`;
}

/** The agent's command line: inside the sandbox when the batch has one, as it is otherwise. */
function confined(run: BatchRun, input: AgentRunInput, command: { bin: string; args: string[] }, env: Record<string, string>): { bin: string; args: string[]; env: Record<string, string> } {
  if (!input.sandbox.bwrap || !input.worktree.gitDir) return { ...command, env };
  const confinement: Confinement = confinementFor({ agent: run.agent, env, worktreeDir: input.worktree.dir, gitDir: input.worktree.gitDir, commonDir: input.repo.commonDir, branch: input.branch, branchTip: input.snapshot });
  return confineCommand(run.agent, input.sandbox.bwrap, confinement, input.worktree.dir, command, env);
}

/** Worktrees of large workspaces check out only what the batch needs (option `sparse`). */
export const SPARSE_AUTO_FILES = 5_000;

function chooseCone(run: BatchRun, options: GenerateOptions, workspaceFiles: number): string[] | null {
  if (!run.sparseCone || options.sparse === 'never') return null;
  return options.sparse === 'always' || workspaceFiles >= SPARSE_AUTO_FILES ? run.sparseCone : null;
}

/** `setupCommand`: argv in the worktree before the agent (e.g. npm ci); a failure fails the batch. */
async function runSetupCommand(run: BatchRun, command: string[], worktree: Worktree, ctx: RunContext): Promise<void> {
  const [bin, ...args] = command;
  const found = resolveAgentBin(bin, ctx.root) ?? bin;
  ctx.log(`[${run.label}] setup: ${command.join(' ')}`);
  const outcome = await runAgentProcess({
    bin: found,
    args,
    env: {},
    stdin: null,
    cwd: worktree.dir,
    timeoutMs: run.timeoutMs,
    onLine: (line) => ctx.log(`[${run.label}] setup: ${line}`),
    redact: ctx.redact,
  });
  worktree.prepared.push(...(await changedSinceCheckout(worktree)).filter((path) => !worktree.prepared.includes(path)));
  if (outcome.exitCode !== 0) {
    const how = outcome.timedOut ? 'timed out' : outcome.exitCode === null ? `was killed (${outcome.signal})` : `exited with code ${outcome.exitCode}`;
    throw new BatchFailure(`the setup command \`${command.join(' ')}\` ${how}: ${outcome.stderrTail.trim().split('\n').slice(-3).join(' | ') || 'no output on stderr'}`, null);
  }
}

/** Waits for a free session slot of the batch's agent when `agentConcurrency` caps it. */
async function takeAgentSlot(run: BatchRun, options: GenerateOptions, ctx: RunContext, repo: RepoInfo): Promise<ReleaseSlot> {
  const cap = options.agentConcurrency;
  const limit = typeof cap === 'number' ? cap : cap?.[run.agent];
  if (!limit) return async () => undefined;
  return acquireSlot(join(repo.commonDir, 'nx-worktree-ai', 'slots'), run.agent, limit, () =>
    ctx.log(`[${run.label}] waiting for a ${run.agent} slot (at most ${limit} at once)`),
  );
}

/** Scope guard: every changed path must match the batch's outputs. */
function scopeViolation(run: BatchRun, change: CollectedChange, branch: string): string | null {
  const isOutput = globMatcher(run.outputGlobs);
  const outside = change.files.filter((f) => !isOutput(f.path)).map((f) => f.path);
  if (!outside.length) return null;
  const shown = outside.slice(0, 10).join(', ') + (outside.length > 10 ? ` and ${outside.length - 10} more` : '');
  return (
    `the agent changed ${outside.length} path(s) outside the batch's outputs (${run.outputGlobs.join(', ')}): ${shown}. ` +
    `Nothing was applied; the work is on branch ${branch}. Widen "outputs" in ${run.spec.file} or tighten the prompt, then run again.`
  );
}

/**
 * timings.json: milliseconds per phase, the executor process's peak memory, and whether the
 * snapshot was taken or shared with batches started together (worktree/snapshot.ts).
 */
function writeTimings(root: string, artifactDir: string, phases: Record<string, number>, snapshot: 'taken' | 'shared'): void {
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  try {
    writeFileSync(join(root, artifactDir, ARTIFACTS.timings), `${JSON.stringify({ phases, maxRssMb, snapshot }, null, 2)}\n`);
  } catch {
    // the artifact folder is gone only if something else failed first; that error is what matters
  }
}

/** The files of `files` that match the batch's outputs. */
function onlyOutputs(files: TreeFiles, run: BatchRun): TreeFiles {
  const isOutput = globMatcher(run.outputGlobs);
  return new Map([...files].filter(([path]) => isOutput(path)));
}

function finish(base: Omit<BatchResult, 'status' | 'error' | 'finishedAt' | 'durationMs'>, status: BatchResult['status'], error: string | null, startedAt: Date): BatchResult {
  const finishedAt = new Date();
  return { ...base, status, error, finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime() };
}

function joinLines(lines: string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function lastSessionOrFail(root: string, run: BatchRun): LastSession {
  try {
    return readLastSession(root, run);
  } catch (error) {
    throw new BatchFailure((error as Error).message, null);
  }
}
