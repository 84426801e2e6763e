import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchNameFromFile, treePathProblem } from '../../batch/names';
import { readOwnership } from '../../integrate/ownership';
import { parsePatch } from '../../integrate/patch';
import { artifactDir } from '../../plugin/paths';
import { createRedactor, type Redactor } from '../../utils/redact';
import { log as logger } from '../../utils/log';
import { ARTIFACTS, type BatchResult } from '../../results/result';
import { recordReplay } from '../../results/run-log';
import { joinRun } from '../../run/run-id';
import { readBatchText } from '../../resolve/batch-text';
import type * as ApplyBatch from './apply-batch';
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
    const run = joinRun(root);
    let ok = true;
    for (const file of files) {
      const startedAt = new Date();
      const outcome = await applyBatch(request, file, redact);
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
async function applyBatch(request: ApplyRequest, file: string, redact: Redactor): Promise<Applied> {
  const { root, project, options } = request;
  readBatchText(root, file);
  const dir = join(root, artifactDir(project, batchNameFromFile(file)));
  const result = readJson(join(dir, ARTIFACTS.result));
  const patchFile = join(dir, ARTIFACTS.patch);
  if (!result || (result.status !== 'succeeded' && result.status !== 'replayed') || !existsSync(patchFile) || options.apply === 'branch') return { ok: true, applied: false, result };
  const patch = readFileSync(patchFile, 'utf8');
  // Usually the workspace already holds every file of the change (the batch just ran or replayed):
  // then nothing is written, so neither the batch file (yaml, zod) nor git is needed to say so. A
  // path that could leave the workspace is not even read here: the full check names it.
  const files = parsePatch(patch);
  if (!files.some((f) => treePathProblem(f.path)) && readOwnership(root, files).every((o) => o.owner === 'result')) return { ok: true, applied: true, result };
  const { applyStoredChange } = require('./apply-batch') as typeof ApplyBatch;
  return { ...(await applyStoredChange(request, file, patch, redact)), result };
}

function readJson(path: string): BatchResult | null {
  try {
    const result = JSON.parse(readFileSync(path, 'utf8')) as BatchResult;
    return result && typeof result === 'object' && typeof result.project === 'string' ? result : null;
  } catch {
    return null;
  }
}
