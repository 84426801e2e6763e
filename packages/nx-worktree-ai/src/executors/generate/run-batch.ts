import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getAdapter } from '../../agents/registry';
import { agentVersion, resolveAgentBin } from '../../agents/resolve-bin';
import { runAgentProcess } from '../../agents/process';
import { createProgress } from '../../agents/progress';
import { bypassSettings, bypassWarning } from '../../agents/permissions';
import type { AgentEvent, AgentFailure, AgentResult } from '../../agents/types';
import { globMatcher } from '../../batch/paths';
import { treePathProblem } from '../../batch/names';
import { loadVersion, planIntegration, readWorkspaceFile, sameVersion, type PathChange } from '../../worktree/apply';
import { keepUnintegratedBranch, KEY_TRAILER } from '../../worktree/branch';
import { collectChanges, commitOnBranch, diffPatch, type CollectedChange } from '../../worktree/changes';
import { git } from '../../worktree/git';
import { withLock } from '../../worktree/lock';
import { defaultWorktreeBase, lockPath, readRepoInfo, type RepoInfo } from '../../worktree/repo';
import { lookupResult, storeResult, type CachedResult } from '../../worktree/result-cache';
import { snapshotWorkspace } from '../../worktree/snapshot';
import { listTree, type TreeFiles } from '../../worktree/tree';
import { fileSig, recordPluginWrites, refWrite } from '../../worktree/plugin-writes';
import { captureBaseline, checkIntegrity, describeFindings, escapingSymlinks, reachedOutsideMessage, type IntegrityScope } from '../../worktree/integrity';
import { noRedaction, redactFiles, type Redactor } from '../../utils/redact';
import { conflictMessage } from './conflict-help';
import { addWorktree, batchBranchName, prepareWorktree, removeWorktree, type Worktree } from '../../worktree/worktree';
import { releaseBranch } from '../../worktree/recover';
import { beginRun, type RunLifecycle } from './run-lifecycle';
import { RunInterrupted } from '../../utils/signal-guard';
import type { BatchRun } from './batch-run';
import { resultCacheKey } from './cache-key';
import { commitToHead } from './commit-to-head';
import { renderPrompt } from './prompt';
import { ARTIFACTS, NO_TOKENS, serializeArtifacts, writeArtifacts, type BatchResult } from './result';
import type { GenerateOptions } from './schema';

/** A batch that did not succeed: the message is the run's last line. */
export class BatchFailure extends Error {
  constructor(
    message: string,
    readonly result: BatchResult | null,
  ) {
    super(message);
    this.name = 'BatchFailure';
  }
}

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
  const repo = await readRepoInfo(ctx.root);
  const lock = lockPath(repo);
  const prompt = renderPrompt(run);
  const branch = await batchBranchName(repo, run.project, run.spec.name);
  // Crash safety: clean up after dead runs, register this one, hold signals until it ends.
  const life = await beginRun(repo, lock, { root: ctx.root, project: run.project, batch: run.spec.name, branch }, ctx.log);
  try {
    return await runBatchSteps(run, options, ctx, { startedAt, repo, lock, prompt, branch, life });
  } catch (error) {
    if (error instanceof RunInterrupted) throw new BatchFailure(error.message, null);
    throw error;
  } finally {
    life.end();
  }
}

interface RunState {
  startedAt: Date;
  repo: RepoInfo;
  lock: string;
  prompt: string;
  branch: string;
  life: RunLifecycle;
}

async function runBatchSteps(run: BatchRun, options: GenerateOptions, ctx: RunContext, { startedAt, repo, lock, prompt, branch, life }: RunState): Promise<BatchResult> {
  const redact = ctx.redact ?? noRedaction;
  const snapshot = await withLock(lock, () => snapshotWorkspace(repo, `nx-worktree-ai snapshot for ${run.label}`));
  const snapshotFiles = await listTree(repo.root, snapshot);
  const cacheKey = resultCacheKey(run, prompt, options.agentArgs, snapshotFiles);

  const hit = options.resultCache ? await lookupResult(repo, cacheKey) : null;
  if (hit) return replay(run, ctx, repo, { hit, snapshot, snapshotFiles, branch, cacheKey, startedAt, life });

  const adapter = getAdapter(run.agent);
  // The command agent names its program per batch (command[0]).
  const binName = adapter.bin || run.spec.frontmatter.command?.[0] || '';
  const bin = resolveAgentBin(binName, ctx.root, options.agentBin);
  if (!bin) throw new BatchFailure(notInstalledMessage(binName, adapter.npmPackage), null);
  const version = await agentVersion(bin, adapter.versionArgs);

  const baseDir = options.worktreeDir ?? defaultWorktreeBase(ctx.root);
  life.checkpoint('before the agent started');
  const worktree = await withLock(lock, async () => {
    await releaseBranch(repo, branch, baseDir, ctx.log);
    const kept = await keepUnintegratedBranch(repo, branch);
    if (kept) ctx.log(`[${run.label}] earlier unintegrated work on ${branch} kept as branch ${kept}`);
    return addWorktree(repo, baseDir, `${run.project}--${run.spec.name}`, branch, snapshot, (dir) =>
      life.registration.update({ worktree: dir, snapshot, tempFiles: [`${dir}.prompt.md`] }),
    );
  });
  ctx.log(`[${run.label}] ${run.agent}${version ? ` ${version}` : ''} · worktree ${worktree.dir} · branch ${branch}`);

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
  let keepWorktree = options.keepWorktree;
  try {
    prepareWorktree(repo, worktree, options);
    life.registration.update({ prepared: worktree.prepared });
    const promptFile = `${worktree.dir}.prompt.md`;
    writeFileSync(promptFile, prompt);
    for (const setting of bypassSettings({ agent: run.agent, section: agentSection(run), agentArgs: options.agentArgs })) ctx.log(bypassWarning(run.label, setting));
    const scope: IntegrityScope = { repo, worktreeDir: worktree.dir, branch, baseDir: resolve(ctx.root, baseDir), isOutput: globMatcher(run.outputGlobs) };
    const baseline = await withLock(lock, () => captureBaseline(scope));
    life.checkpoint('before the agent started');
    const { agentResult, failure } = await runAgent(run, options, ctx, { bin, worktree, prompt, promptFile, transcript, onStart: (pid) => life.agentStarted(pid) });
    life.agentStarted(null);
    // "Nobody in": what changed outside the worktree while the agent ran (worktree/integrity.ts).
    // A check that cannot run fails the batch safe, but never before the work is on the branch.
    const observed = await withLock(lock, () => checkIntegrity(scope, baseline)).catch((e: Error) => [`(the check itself failed: ${e.message})`]);
    rmSync(promptFile, { force: true });
    Object.assign(base, metricsOf(agentResult, run));

    const change = await collectChanges(repo, worktree, snapshot);
    const changedPaths = change.files.filter((f) => f.status !== 'deleted').map((f) => f.path);
    const symlinks = await escapingSymlinks(repo.root, await listTree(repo.root, change.tree), changedPaths).catch((e: Error) => [`(the symlink check failed: ${e.message})`]);
    const transcriptPath = join(run.artifactDir, ARTIFACTS.transcript);
    const warnOnly = options.integrity === 'warn' && observed.length > 0;
    if (warnOnly) ctx.log(`[${run.label}] warning: ${describeFindings(observed)} (integrity: warn, so the result is applied anyway; see ${transcriptPath})`);
    const reached = [...(warnOnly ? [] : observed), ...symlinks];
    const statusTrailer = failure || reached.length ? 'failed' : 'succeeded';
    const commit = await withLock(lock, () =>
      commitOnBranch(repo, branch, change.tree, snapshot, redact(`${run.label}: ${run.spec.frontmatter.description ?? 'AI batch'}`), {
        'Nx-Worktree-Ai-Batch': run.label,
        [KEY_TRAILER]: cacheKey,
        'Nx-Worktree-Ai-Agent': redact(`${run.agent} ${version}`),
        'Nx-Worktree-Ai-Model': run.model && redact(run.model),
        'Nx-Worktree-Ai-Session': base.sessionId && redact(base.sessionId),
        'Nx-Worktree-Ai-Cost-Usd': base.costUsd,
        'Nx-Worktree-Ai-Status': statusTrailer,
      }),
    );
    Object.assign(base, { commit, filesChanged: change.files.map((f) => f.path), insertions: change.insertions, deletions: change.deletions });
    patch = await diffPatch(repo.root, snapshot, commit);

    const outside = reached.length ? reachedOutsideMessage(reached, branch, transcriptPath, observed.length > 0 && !warnOnly) : null;
    const problem = [outside, failure ? failure.message : scopeViolation(run, change, branch)].filter(Boolean).join(' Also: ');
    if (problem) {
      // An interrupted run's work is on its branch: its worktree goes (keepWorktree keeps it).
      keepWorktree ||= Boolean(failure) && !life.guard.received;
      const result = finish(base, 'failed', problem, startedAt);
      writeArtifacts(ctx.root, run.artifactDir, redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact));
      throw new BatchFailure(problem, result);
    }

    life.checkpoint('before integration', branch);
    await withLock(lock, () => integrate(run, repo, ctx, { snapshotFiles, commit, change, branch, life }));
    const result = finish(base, 'succeeded', null, startedAt);
    const files = redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact);
    if (options.resultCache) await withLock(lock, () => storeResult(repo, cacheKey, commit, files));
    writeArtifacts(ctx.root, run.artifactDir, files);
    return result;
  } catch (error) {
    // Every failure leaves its result.json (a conflict at integration included), with the patch when there is one.
    if (!(error instanceof BatchFailure) || !error.result) {
      const result = finish(base, 'failed', (error as Error).message, startedAt);
      writeArtifacts(ctx.root, run.artifactDir, redactFiles(serializeArtifacts({ result, transcript: joinLines(transcript), patch, prompt }), redact));
      throw new BatchFailure((error as Error).message, result);
    }
    throw error;
  } finally {
    if (keepWorktree) ctx.log(`[${run.label}] worktree kept at ${worktree.dir}`);
    else await withLock(lock, () => removeWorktree(repo, worktree)).catch(() => undefined);
  }
}

interface AgentRunInput {
  bin: string;
  worktree: Worktree;
  prompt: string;
  promptFile: string;
  transcript: string[];
  onStart?(pid: number): void;
}

async function runAgent(run: BatchRun, options: GenerateOptions, ctx: RunContext, input: AgentRunInput): Promise<{ agentResult: AgentResult | null; failure: AgentFailure | null }> {
  const adapter = getAdapter(run.agent);
  const invocation = adapter.buildInvocation({
    prompt: input.prompt,
    promptFile: input.promptFile,
    cwd: input.worktree.dir,
    model: run.model,
    maxTurns: run.maxTurns,
    maxBudgetUsd: run.maxBudgetUsd,
    command: run.spec.frontmatter.command ?? null,
    extraArgs: options.agentArgs,
    options: agentSection(run),
  });
  const parse = adapter.createParser();
  const progress = createProgress(run.label);
  let agentResult: AgentResult | null = null;
  const outcome = await runAgentProcess({
    bin: input.bin,
    args: invocation.args,
    env: invocation.env,
    stdin: invocation.stdin,
    cwd: input.worktree.dir,
    timeoutMs: run.timeoutMs,
    transcript: (line: string) => input.transcript.push((ctx.redact ?? noRedaction)(line)),
    onStart: input.onStart,
    onLine: (line: string) => {
      for (const event of parse(line) as AgentEvent[]) {
        if (event.kind === 'result') agentResult = event.result;
        const text = progress(event);
        if (text) ctx.log(text);
      }
    },
  });
  const failure = adapter.classify({ ...outcome, result: agentResult });
  return { agentResult, failure };
}

/** The batch's settings section for its agent (`claude: {...}`), {} when it has none. */
function agentSection(run: BatchRun): Record<string, unknown> {
  const section = (run.spec.frontmatter as Record<string, unknown>)[run.agent];
  return section && typeof section === 'object' ? (section as Record<string, unknown>) : {};
}

function metricsOf(result: AgentResult | null, run: BatchRun): Partial<BatchResult> {
  if (!result) return {};
  return { sessionId: result.sessionId, turns: result.turns, tokens: result.tokens, costUsd: result.costUsd, model: run.model };
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

interface IntegrateInput {
  snapshotFiles: TreeFiles;
  commit: string;
  change: CollectedChange;
  branch: string;
  life: RunLifecycle;
}

/** Step 8, under the workspace lock: all-or-nothing, 3-way against the snapshot. */
async function integrate(run: BatchRun, repo: RepoInfo, ctx: RunContext, input: IntegrateInput): Promise<void> {
  if (run.apply === 'branch' || input.change.files.length === 0) return;
  const resultFiles = await listTree(repo.root, input.commit);
  const changes: PathChange[] = [];
  for (const { path } of input.change.files) {
    changes.push({
      path,
      base: await loadVersion(repo.root, input.snapshotFiles.get(path)),
      theirs: await loadVersion(repo.root, resultFiles.get(path)),
    });
  }
  const plan = await planIntegration(repo.root, ctx.root, changes);
  if (plan.conflicts.length) {
    const target = process.env.NX_TASK_TARGET_TARGET || `ai-generate--${run.spec.name}`;
    const rerun = `npx nx run ${run.project}:${target} --skip-nx-cache`;
    throw new BatchFailure(conflictMessage({ root: ctx.root, branch: input.branch, commit: input.commit, changes, plan, rerun }), null);
  }
  recordPluginWrites(repo, plan.writes.map((w) => ({ kind: 'file' as const, path: w.path, sig: fileSig(w.file) })));
  input.life.apply(ctx.root, plan);
  if (plan.merged.length) ctx.log(`[${run.label}] merged with your edits made during the run: ${plan.merged.join(', ')}`);
  if (run.apply === 'commit') await commitToHead(repo, plan.writes, (ctx.redact ?? noRedaction)(`${run.label}: ${run.spec.frontmatter.description ?? 'AI batch'}`));
  input.life.integrated();
}

interface ReplayInput {
  hit: CachedResult;
  snapshot: string;
  snapshotFiles: TreeFiles;
  branch: string;
  cacheKey: string;
  startedAt: Date;
  life: RunLifecycle;
}

/**
 * A result-cache hit: the output paths become exactly what the batch produced, as when Nx restores
 * outputs. Uncommitted edits that this overwrites are kept in the snapshot, under a ref the log names.
 */
async function replay(run: BatchRun, ctx: RunContext, repo: RepoInfo, input: ReplayInput): Promise<BatchResult> {
  const original = JSON.parse(input.hit.artifacts[ARTIFACTS.result]?.toString('utf8') ?? '{}') as Partial<BatchResult>;
  input.life.checkpoint('before the replay');
  await withLock(lockPath(repo), async () => {
    const isOutput = globMatcher(run.outputGlobs);
    const resultFiles = await listTree(repo.root, input.hit.commit);
    // A stored result may come from a remote: before it goes anywhere (the branch included), it must
    // hold no symlink leading out and no path that climbs out or into .git among what would be written.
    const outputPaths = [...resultFiles.keys()].filter(isOutput);
    const poisoned = [
      ...outputPaths.flatMap((p) => (treePathProblem(p) ? [`the path ${JSON.stringify(p)} (it ${treePathProblem(p)})`] : [])),
      ...(await escapingSymlinks(repo.root, resultFiles, outputPaths)),
    ];
    if (poisoned.length) {
      throw new BatchFailure(
        `the stored result ${input.cacheKey} holds ${poisoned.join('; ')}. Nothing was applied. If the result-cache refs came from a remote you do not trust, delete them: git update-ref -d refs/nx-worktree-ai/cache/${input.cacheKey}`,
        null,
      );
    }
    const kept = await keepUnintegratedBranch(repo, input.branch);
    if (kept) ctx.log(`[${run.label}] earlier unintegrated work on ${input.branch} kept as branch ${kept}`);
    recordPluginWrites(repo, [refWrite(`refs/heads/${input.branch}`, input.hit.commit)]);
    await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: replay', `refs/heads/${input.branch}`, input.hit.commit]);
    if (run.apply === 'branch') return;
    const headFiles = await listTree(repo.root, repo.head);
    const paths = new Set([...resultFiles.keys(), ...input.snapshotFiles.keys()].filter(isOutput));
    const writes: { path: string; file: Awaited<ReturnType<typeof loadVersion>> }[] = [];
    const overwritten: string[] = [];
    for (const path of [...paths].sort()) {
      const theirs = await loadVersion(repo.root, resultFiles.get(path));
      const ours = readWorkspaceFile(ctx.root, path);
      if (sameVersion(ours, theirs)) continue;
      if (ours && !sameVersion(ours, await loadVersion(repo.root, headFiles.get(path)))) overwritten.push(path);
      writes.push({ path, file: theirs });
    }
    if (overwritten.length) {
      const ref = `refs/nx-worktree-ai/overwritten/${run.project}/${run.spec.name}`;
      recordPluginWrites(repo, [refWrite(ref, input.snapshot)]);
      await git(repo.root, ['update-ref', ref, input.snapshot]);
      ctx.log(`[${run.label}] replay replaced uncommitted edits in ${overwritten.join(', ')}; they are kept: git checkout ${ref} -- <path>`);
    }
    recordPluginWrites(repo, writes.map((w) => ({ kind: 'file' as const, path: w.path, sig: fileSig(w.file) })));
    input.life.apply(ctx.root, { writes, conflicts: [], merged: [] });
    if (run.apply === 'commit' && writes.length) await commitToHead(repo, writes, (ctx.redact ?? noRedaction)(`${run.label}: ${run.spec.frontmatter.description ?? 'AI batch'} (replayed)`));
    input.life.integrated();
  });
  const result = finish(
    {
      project: run.project,
      batch: run.spec.name,
      agent: run.agent,
      agentVersion: original.agentVersion ?? null,
      model: original.model ?? run.model,
      sessionId: original.sessionId ?? null,
      turns: 0,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      startedAt: input.startedAt.toISOString(),
      cacheKey: input.cacheKey,
      branch: input.branch,
      commit: input.hit.commit,
      filesChanged: original.filesChanged ?? [],
      insertions: original.insertions ?? null,
      deletions: original.deletions ?? null,
    },
    'replayed',
    null,
    input.startedAt,
  );
  const artifacts = { ...input.hit.artifacts, [ARTIFACTS.result]: `${JSON.stringify(result, null, 2)}\n` };
  writeArtifacts(ctx.root, run.artifactDir, redactFiles(artifacts, ctx.redact ?? noRedaction));
  return result;
}

function finish(base: Omit<BatchResult, 'status' | 'error' | 'finishedAt' | 'durationMs'>, status: BatchResult['status'], error: string | null, startedAt: Date): BatchResult {
  const finishedAt = new Date();
  return { ...base, status, error, finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime() };
}

function joinLines(lines: string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function notInstalledMessage(bin: string, npmPackage: string | null): string {
  const install = npmPackage ? `npm i -D ${npmPackage}` : `install ${bin}`;
  return `the agent CLI "${bin}" was not found in node_modules/.bin or on PATH: ${install} (or set the executor option agentBin).`;
}

