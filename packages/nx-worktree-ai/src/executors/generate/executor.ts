// First: the plugin's CPU time per batch counts from here (utils/plugin-cpu.ts).
import { executorEntered, executorLoaded } from '../../utils/plugin-cpu';
import type { ExecutorContext } from '@nx/devkit';
import { log as logger } from '../../utils/log';
import { InvalidInputError, printable } from '../../batch/names';
import { BatchFileError, describeIssues } from '../../batch/parse';
import { placeholderPromptProblem } from '../../batch/placeholder';
import { createRedactor, type Redactor } from '../../utils/redact';
import { resolveBatchRun, type BatchRun } from '../../resolve/resolve';
import { withBatchSettings } from '../../resolve/batch-settings';
import { formatDryRun, planDryRun } from './dry-run';
import { BatchFailure, runBatch } from '../../run';
import type { BatchResult } from '../../results/result';
import { batchProgress } from './progress';
import { generateOptionsSchema, type GenerateOptions, type GenerateOptionsInput } from '../../resolve/options';
import { proofNote } from '../../report/proof';
import { restoreNxTokens } from '../../batch/nx-tokens';
import { ONE_SHOT } from '../../utils/one-shot';

/**
 * `nx-worktree-ai:generate`: runs one batch in its own git worktree with a headless agent CLI and
 * brings the result back. The last line always says what happened and, on failure, what to do.
 */
export default async function generateExecutor(rawOptions: GenerateOptionsInput, context: ExecutorContext): Promise<{ success: boolean }> {
  executorEntered();
  const label = printable(`${context.projectName ?? '?'}:${String(rawOptions?.batch ?? '?').split('/').pop()?.replace(/\.ai\.md$/, '')}`);
  const parsed = generateOptionsSchema.safeParse(rawOptions, ONE_SHOT);
  if (!parsed.success) {
    const where = printable(`${context.projectName}:${context.targetName}`);
    const redact = createRedactor(process.env);
    logger.error(redact(`[${label}] invalid options of ${where}:\n${describeIssues(parsed.error.issues, rawOptions).map((l) => `  - ${l}`).join('\n')}`));
    return { success: false };
  }
  // Every line this task prints goes through one redaction (utils/redact.ts): Nx caches terminal output.
  const redact = createRedactor(process.env, parsed.data.secretEnv);
  // Problems the plugin found when it inferred the target (it infers one anyway, see plugin/targets.ts).
  if (parsed.data.invalid?.length) {
    logger.error(redact(`[${label}] refused before anything ran: ${new BatchFileError(parsed.data.batch, parsed.data.invalid.map(restoreNxTokens)).message}`));
    return { success: false };
  }
  try {
    const run = resolveBatchRun(parsed.data, context);
    const options = withBatchSettings(parsed.data, run.spec.frontmatter, context);
    // A prompt nobody wrote yet: refused before a snapshot, a worktree or a model request.
    const placeholder = placeholderPromptProblem(run.spec);
    if (placeholder) throw new InvalidInputError(placeholder);
    if (options.dryRun) return await dryRun(run, options, context, redact);
    const progress = batchProgress(context.root, run, redact);
    try {
      const result = await runBatch(run, options, { root: context.root, log: (line) => logger.info(redact(line)), redact, runId: progress.runId });
      progress.end(summaryLine(run.label, result), result);
      return { success: true };
    } catch (error) {
      progress.end(`[${label}] failed: ${error instanceof BatchFailure ? error.message : (error as Error).stack ?? String(error)}`, error instanceof BatchFailure ? error.result : null, 'error');
      return { success: false };
    }
  } catch (error) {
    if (error instanceof BatchFileError) logger.error(redact(error.message));
    else if (error instanceof InvalidInputError) logger.error(redact(`[${label}] refused before anything ran: ${printable(error.message)}`));
    else logger.error(redact(`[${label}] failed: ${(error as Error).stack ?? String(error)}`));
    return { success: false };
  }
}

/** `--dry-run`: prints the plan of the run; starts, writes and spends nothing (dry-run.ts). */
async function dryRun(run: BatchRun, options: GenerateOptions, context: ExecutorContext, redact: Redactor): Promise<{ success: boolean }> {
  const plan = await planDryRun(run, options, context.root);
  // The command line and the prompt can hold a credential (agentArgs, a pasted token).
  for (const line of formatDryRun(plan)) logger.info(redact(line));
  if (!plan.binFound) {
    logger.error(`[${run.label}] dry run: a run would fail: the agent CLI "${plan.bin}" is not installed (or set the executor option agentBin).`);
    return { success: false };
  }
  if (nxWouldCache(context)) {
    // Nx caches every successful task of a cacheable target. A cached dry run would be replayed by
    // the next dry run with the same inputs: its stale report, and the outputs as they were then,
    // restored over whatever a real run wrote since. A failed task is never cached.
    logger.error(
      `[${run.label}] dry run done, but reported as failed so that Nx does not store it in its cache ` +
        `(a later dry run would be replayed from it and restore the outputs as they were): run it with --skip-nx-cache, ` +
        `e.g. nx run-many -t ${aggregateOf(context)} --dry-run --skip-nx-cache --output-style=static`,
    );
    return { success: false };
  }
  logger.info(`[${run.label}] dry run done: ${plan.resultCache.hit ? 'a run would replay the stored result' : 'a run would start the agent'}; nothing was run or written`);
  return { success: true };
}

/** Running as an Nx task of a cacheable target without --skip-nx-cache: Nx stores a success. */
function nxWouldCache(context: ExecutorContext): boolean {
  if (!process.env.NX_TASK_HASH || process.env.NX_SKIP_NX_CACHE === 'true') return false;
  const target = context.projectName && context.targetName ? context.projectsConfigurations?.projects[context.projectName]?.targets?.[context.targetName] : undefined;
  return target?.cache !== false;
}

/** `ai-generate` for the target `ai-generate--<batch>`. */
function aggregateOf(context: ExecutorContext): string {
  const target = context.targetName ?? '';
  const cut = target.lastIndexOf('--');
  return cut > 0 ? target.slice(0, cut) : 'ai-generate';
}

function summaryLine(label: string, r: BatchResult): string {
  const seconds = (r.durationMs / 1000).toFixed(1);
  if (r.status === 'replayed') return `[${label}] replayed from the result cache (no model request) · ${r.filesChanged.length} file(s) · ${seconds}s`;
  const what = r.status === 'empty' ? 'succeeded with no file changed (status "empty", allowed by allowEmpty: true; not stored in the result cache)' : r.status;
  const parts = [`[${label}] ${what}${proofNote(r)}`, `${r.turns ?? '?'} turns`, `${r.filesChanged.length} file(s) (+${r.insertions ?? 0} -${r.deletions ?? 0})`];
  if (r.costUsd !== null) parts.push(`$${r.costUsd.toFixed(4)}`);
  parts.push(`${seconds}s`, `branch ${r.branch}`);
  return parts.join(' · ');
}

executorLoaded();
