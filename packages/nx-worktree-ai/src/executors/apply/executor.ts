import type { ExecutorContext } from '@nx/devkit';
import { describeIssues } from '../../batch/parse';
import { createRedactor } from '../../utils/redact';
import { log as logger } from '../../utils/log';
import { applyBatches } from './apply-batches';
import { batchesInOrder } from './batches';
import { applyOptionsSchema, type ApplyOptionsInput } from './schema';
import { ONE_SHOT } from '../../utils/one-shot';

/**
 * `nx-worktree-ai:apply`: the per-project step, for a target configured with it by hand (the
 * inferred aggregate runs the `nx-worktree-ai apply` command instead, without a worker process).
 * Applies the changes of the batch targets the target depends on, in their dependency order.
 */
export default async function applyExecutor(rawOptions: ApplyOptionsInput, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '?';
  const parsed = applyOptionsSchema.safeParse(rawOptions ?? {}, ONE_SHOT);
  if (!parsed.success) {
    const redact = createRedactor(process.env);
    logger.error(redact(`[${project}] invalid options of ${project}:${context.targetName}:\n${describeIssues(parsed.error.issues, rawOptions).map((l) => `  - ${l}`).join('\n')}`));
    return { success: false };
  }
  const files = batchesInOrder(context, project, context.targetName ?? '').map((b) => b.file);
  const projectRoot = context.projectsConfigurations.projects[project]?.root ?? '.';
  return { success: await applyBatches({ root: context.root, project, projectRoot, files, options: parsed.data }) };
}
