import { globMatcher } from '../batch/paths';
import { treePathProblem } from '../batch/names';
import type { BatchRun } from '../resolve/resolve';
import { BatchFailure } from '../results/failure';
import { ARTIFACTS, writeArtifacts, type BatchResult } from '../results/result';
import type { IntegrationLife } from './life';
import { keepUnintegratedBranch, KEY_TRAILER } from '../worktree/branch';
import { applyEntries, commitOnBranch } from '../worktree/changes';
import { escapingSymlinks } from '../guard/symlinks';
import { withLock } from '../worktree/lock';
import { lockPath, type RepoInfo } from '../worktree/repo';
import { lookupResult, type CachedResult } from '../worktree/result-cache';
import { writeTreeOf, type TreeEntry, type TreeFiles } from '../worktree/tree';
import { noRedaction, redactFiles, type Redactor } from '../utils/redact';
import { commitSubject } from '../results/commit-subject';
import { carryOut } from './carry-out';
import { parsePatch, PatchFormatError, type PatchFile } from './patch';
import { planChange } from './plan';

export interface ReplayContext {
  root: string;
  log: (line: string) => void;
  redact?: Redactor;
  runId?: string | null;
}

export interface ReplayInput {
  hit: CachedResult;
  snapshot: string;
  snapshotFiles: TreeFiles;
  branch: string;
  cacheKey: string;
  startedAt: Date;
  life: IntegrationLife;
}

/**
 * The stored result for `key` when it can be replayed: its changes.patch names every file's base
 * and result (records stored before the patch carried full blob ids cannot tell them apart, so
 * they count as a miss and the batch runs again), and it changed files (replayable).
 */
export async function lookupReplayable(repo: RepoInfo, key: string): Promise<CachedResult | null> {
  const hit = await lookupResult(repo, key);
  if (!hit) return null;
  try {
    parsePatch(hit.artifacts[ARTIFACTS.patch]?.toString('utf8') ?? '');
    return hit.artifacts[ARTIFACTS.patch] ? replayable(hit) : null;
  } catch (error) {
    if (error instanceof PatchFormatError) return null;
    throw error;
  }
}

/**
 * A result-cache hit, through the same integration as a fresh result and as `ai-generate`
 * (`nx-worktree-ai apply`, executors/apply) after an Nx cache hit: the stored changes.patch is applied with the ownership
 * rule, so only the files the batch changed are looked at, a file is written only where the
 * workspace still holds the batch's base, and a file the user changed since is kept as theirs.
 * The batch branch gets a commit of the snapshot with the batch's change (the record may come from
 * a teammate's clone, whose commits are not here).
 */
export async function replay(run: BatchRun, ctx: ReplayContext, repo: RepoInfo, input: ReplayInput): Promise<BatchResult> {
  const original = JSON.parse(input.hit.artifacts[ARTIFACTS.result]?.toString('utf8') ?? '{}') as Partial<BatchResult>;
  const patch = input.hit.artifacts[ARTIFACTS.patch]!.toString('utf8');
  const files = parsePatch(patch);
  input.life.checkpoint('before the replay');
  const commit = await withLock(lockPath(repo), async () => {
    // A stored result may come from a remote: before it goes anywhere (the branch included), it must
    // hold no symlink leading out and no path that climbs out, into .git or out of the outputs.
    const poisoned = [...pathProblems(run, files), ...recordMismatches(files, input.hit.outputs), ...(await escapingSymlinks(repo.root, input.hit.outputs, files.map((f) => f.path)))];
    if (poisoned.length) {
      throw new BatchFailure(
        `the stored result ${input.cacheKey} holds ${poisoned.join('; ')}. Nothing was applied. If the result-cache refs came from a remote you do not trust, delete them: git update-ref -d refs/nx-worktree-ai/cache/${input.cacheKey}`,
        null,
      );
    }
    const kept = await keepUnintegratedBranch(repo, input.branch);
    if (kept) ctx.log(`[${run.label}] earlier unintegrated work on ${input.branch} kept as branch ${kept}`);
    const changes = patchEntries(files, input.snapshotFiles);
    // Usually the snapshot already holds the result (its files are still in the workspace after
    // `nx reset` or a cleared Nx cache): then the commit's tree is the snapshot's, with no index to write.
    const tree = holdsAll(input.snapshotFiles, changes) ? `${input.snapshot}^{tree}` : await writeTreeOf(repo, applyEntries(input.snapshotFiles, changes));
    const subject = commitSubject(run.label, run.spec.frontmatter.description, ctx.redact, 'replayed');
    const commit = await commitOnBranch(repo, input.branch, tree, input.snapshot, subject, {
      'Nx-Worktree-Ai-Batch': run.label,
      [KEY_TRAILER]: input.cacheKey,
      'Nx-Worktree-Ai-Status': 'replayed',
    });
    if (run.apply === 'branch') return commit;
    const plan = await planChange(repo.root, ctx.root, patch, 'replay');
    await carryOut(repo, plan, {
      label: run.label,
      apply: run.apply,
      subject,
      log: ctx.log,
      write: (p) => input.life.apply(ctx.root, p),
    });
    input.life.integrated();
    return commit;
  });
  const finishedAt = new Date();
  const result: BatchResult = {
    project: run.project,
    batch: run.spec.name,
    status: 'replayed',
    agent: run.agent,
    agentVersion: original.agentVersion ?? null,
    model: original.model ?? run.model,
    sessionId: original.sessionId ?? null,
    turns: 0,
    tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    costUsd: 0,
    durationMs: finishedAt.getTime() - input.startedAt.getTime(),
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    cacheKey: input.cacheKey,
    branch: input.branch,
    commit,
    filesChanged: original.filesChanged ?? [],
    insertions: original.insertions ?? null,
    deletions: original.deletions ?? null,
    error: null,
    runId: ctx.runId ?? null,
  };
  const artifacts = { ...input.hit.artifacts, [ARTIFACTS.result]: `${JSON.stringify(result, null, 2)}\n` };
  writeArtifacts(ctx.root, run.artifactDir, redactFiles(artifacts, ctx.redact ?? noRedaction));
  return result;
}

/** Paths of a stored change that no replay may write: outside the batch's outputs, climbing out, into .git. */
export function pathProblems(run: Pick<BatchRun, 'outputGlobs'>, files: PatchFile[]): string[] {
  const isOutput = globMatcher(run.outputGlobs);
  return files.flatMap(({ path }) => {
    const why = treePathProblem(path) ?? (isOutput(path) ? null : "is outside the batch's outputs");
    return why ? [`the path ${JSON.stringify(path)} (it ${why})`] : [];
  });
}

/** The change's tree entries (null: deleted); the result blobs are in the record's outputs. */
function patchEntries(files: PatchFile[], base: TreeFiles): Map<string, TreeEntry | null> {
  return new Map(files.map((f) => [f.path, f.after ? { mode: f.after.mode, oid: f.after.oid ?? base.get(f.path)!.oid } : null]));
}

/** Whether `files` already has every entry of `changes` (null: absent). */
function holdsAll(files: TreeFiles, changes: Map<string, TreeEntry | null>): boolean {
  for (const [path, entry] of changes) {
    const held = files.get(path);
    if (entry ? held?.mode !== entry.mode || held.oid !== entry.oid : held !== undefined) return false;
  }
  return true;
}

/** Files whose result in the patch is not the record's stored file (a record tampered with). */
function recordMismatches(files: PatchFile[], outputs: TreeFiles): string[] {
  return files.flatMap((f) => {
    const stored = outputs.get(f.path);
    const same = f.after ? !!stored && stored.mode === f.after.mode && (f.after.oid === null || stored.oid === f.after.oid) : !stored;
    return same ? [] : [`a changes.patch whose ${JSON.stringify(f.path)} is not the stored file`];
  });
}

/**
 * A stored result that replays as a success: one that changed files. Records of runs that changed
 * nothing (stored before empty runs were refused) are ignored, so the batch runs again.
 */
export function replayable(hit: CachedResult | null): CachedResult | null {
  if (!hit) return null;
  try {
    const stored = JSON.parse(hit.artifacts[ARTIFACTS.result]?.toString('utf8') ?? '{}') as Partial<BatchResult>;
    return Array.isArray(stored.filesChanged) && stored.filesChanged.length === 0 ? null : hit;
  } catch {
    return hit;
  }
}
