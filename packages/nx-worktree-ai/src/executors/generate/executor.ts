import { logger, type ExecutorContext } from '@nx/devkit';
import { InvalidInputError, printable } from '../../batch/names';
import { BatchFileError, describeIssues } from '../../batch/parse';
import { createRedactor } from '../../utils/redact';
import { resolveBatchRun } from './batch-run';
import { BatchFailure, runBatch } from './run-batch';
import { generateOptionsSchema, type GenerateOptionsInput } from './schema';

/**
 * `nx-worktree-ai:generate`: runs one batch in its own git worktree with a headless agent CLI and
 * brings the result back. The last line always says what happened and, on failure, what to do.
 */
export default async function generateExecutor(rawOptions: GenerateOptionsInput, context: ExecutorContext): Promise<{ success: boolean }> {
  const label = printable(`${context.projectName ?? '?'}:${String(rawOptions?.batch ?? '?').split('/').pop()?.replace(/\.ai\.md$/, '')}`);
  const parsed = generateOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const where = printable(`${context.projectName}:${context.targetName}`);
    const redact = createRedactor(process.env);
    logger.error(redact(`[${label}] invalid options of ${where}:\n${describeIssues(parsed.error.issues, rawOptions).map((l) => `  - ${l}`).join('\n')}`));
    return { success: false };
  }
  // Every line this task prints goes through one redaction (utils/redact.ts): Nx caches terminal output.
  const redact = createRedactor(process.env, parsed.data.secretEnv);
  try {
    const run = resolveBatchRun(parsed.data, context);
    const result = await runBatch(run, parsed.data, { root: context.root, log: (line) => logger.info(redact(line)), redact });
    logger.info(redact(summaryLine(run.label, result)));
    return { success: true };
  } catch (error) {
    if (error instanceof BatchFileError) logger.error(redact(error.message));
    else if (error instanceof InvalidInputError) logger.error(redact(`[${label}] refused before anything ran: ${printable(error.message)}`));
    else if (error instanceof BatchFailure) logger.error(redact(`[${label}] failed: ${error.message}`));
    else logger.error(redact(`[${label}] failed: ${(error as Error).stack ?? String(error)}`));
    return { success: false };
  }
}

function summaryLine(label: string, r: import('./result').BatchResult): string {
  const seconds = (r.durationMs / 1000).toFixed(1);
  if (r.status === 'replayed') return `[${label}] replayed from the result cache (no model request) · ${r.filesChanged.length} file(s) · ${seconds}s`;
  const parts = [`[${label}] succeeded`, `${r.turns ?? '?'} turns`, `${r.filesChanged.length} file(s) (+${r.insertions ?? 0} -${r.deletions ?? 0})`];
  if (r.costUsd !== null) parts.push(`$${r.costUsd.toFixed(4)}`);
  parts.push(`${seconds}s`, `branch ${r.branch}`);
  return parts.join(' · ');
}
