import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { underProject } from '../../batch/paths';
import { carryOut } from '../../integrate/carry-out';
import { planChange } from '../../integrate/plan';
import { pathProblems } from '../../integrate/replay';
import { parsePatch } from '../../integrate/patch';
import { artifactDir } from '../../plugin/paths';
import { createRedactor, type Redactor } from '../../utils/redact';
import { log as logger } from '../../utils/log';
import { applyPlan } from '../../worktree/apply';
import { withLock } from '../../worktree/lock';
import { lockPath, readRepoInfo, type RepoInfo } from '../../worktree/repo';
import { commitSubject } from '../../results/commit-subject';
import { readBatch } from '../../resolve/read-batch';
import { ARTIFACTS, type BatchResult } from '../../results/result';
import { recordReplay } from '../../results/run-log';
import { joinRun } from '../../run/run-id';
import type { ApplyOptions } from './schema';

/** What the aggregate of one project applies. */
export interface ApplyRequest {
  /** The workspace root. */
  root: string;
  project: string;
  projectRoot: string;
  /** The batch files (from the workspace root) whose changes apply, in this order. */
  files: string[];
  options: ApplyOptions;
}

/**
 * The per-project `ai-generate` step (the `nx-worktree-ai apply` command the aggregate target runs,
 * and the nx-worktree-ai:apply executor): brings the change of each batch into the workspace, in
 * the order given, from the batch's changes.patch. Never cached, so it runs after Nx restored a
 * batch's artifact folder from its cache (locally or a teammate's remote cache) as well as after a
 * fresh run (whose files already hold the result: nothing to do). The same ownership rule as every
 * integration (integrate/plan.ts): a file is written only where the workspace still holds the
 * batch's base; a file changed since is kept. Returns whether every batch applied.
 */
export async function applyBatches(request: ApplyRequest): Promise<boolean> {
  const { root, project, files, options } = request;
  if (options.dryRun || !files.length) return true;
  const redact = createRedactor(process.env);
  try {
    const repo = await readRepoInfo(root);
    const run = joinRun(root);
    let ok = true;
    for (const file of files) {
      const startedAt = new Date();
      const outcome = await applyBatch(repo, request, file, redact);
      if (run && outcome.result) recordReplay(root, run.id, { batchFile: file, result: outcome.result, applied: outcome.applied, startedAt, finishedAt: new Date() });
      ok = outcome.ok && ok;
    }
    return ok;
  } catch (error) {
    logger.error(redact(`[${project}] applying the batches' changes failed: ${(error as Error).message}`));
    return false;
  }
}

interface Applied {
  ok: boolean;
  /** The change is in the workspace (written now, or already there). */
  applied: boolean;
  /** The batch's result.json, when it has one. */
  result: BatchResult | null;
}

/** One batch's change, when its artifact folder holds a successful result. */
async function applyBatch(repo: RepoInfo, request: ApplyRequest, file: string, redact: Redactor): Promise<Applied> {
  const { root, project, projectRoot, options } = request;
  const log = (line: string) => logger.info(redact(line));
  const spec = readBatch(root, file, projectRoot);
  const label = `${project}:${spec.name}`;
  const dir = join(root, artifactDir(project, spec.name));
  const result = readJson(join(dir, ARTIFACTS.result));
  const patchFile = join(dir, ARTIFACTS.patch);
  const done = (ok: boolean, applied: boolean): Applied => ({ ok, applied, result });
  if (!result || (result.status !== 'succeeded' && result.status !== 'replayed') || !existsSync(patchFile)) return done(true, false);
  const apply = options.apply ?? spec.frontmatter.apply;
  if (apply === 'branch') return done(true, false);
  const patch = readFileSync(patchFile, 'utf8');
  const problems = pathProblems({ outputGlobs: spec.frontmatter.outputs.map((g) => underProject(projectRoot, g)) }, parsePatch(patch));
  if (problems.length) {
    logger.error(`[${label}] ${artifactDir(project, spec.name)}/${ARTIFACTS.patch} holds ${problems.join('; ')}. Nothing of it was applied; run the batch again with --skip-nx-cache.`);
    return done(false, false);
  }
  // Usually everything already holds the result (the batch just ran or replayed): the lock, which
  // running batches contend for, is taken only when there is something to write.
  const first = await planChange(repo.root, root, patch, 'replay');
  if (!first.writes.length) {
    for (const path of first.kept) log(`[${label}] kept your version of ${path}`);
    return done(true, true);
  }
  await withLock(lockPath(repo), async () => {
    const plan = await planChange(repo.root, root, patch, 'replay');
    await carryOut(repo, plan, {
      label,
      apply,
      subject: commitSubject(label, spec.frontmatter.description, redact, 'applied'),
      log,
      write: (p) => applyPlan(root, p),
    });
    if (plan.writes.length) log(`[${label}] applied ${plan.writes.length} file(s) of the batch's change`);
  });
  return done(true, true);
}

function readJson(path: string): BatchResult | null {
  try {
    const result = JSON.parse(readFileSync(path, 'utf8')) as BatchResult;
    return result && typeof result === 'object' && typeof result.project === 'string' ? result : null;
  } catch {
    return null;
  }
}
