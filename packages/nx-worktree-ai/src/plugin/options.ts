import * as z from 'zod';

import { DEFAULT_REPORT_TARGET_NAME, DEFAULT_TARGET_NAME } from './paths';
import { ONE_SHOT } from '../utils/one-shot';

export { DEFAULT_REPORT_TARGET_NAME, DEFAULT_TARGET_NAME };

/** Options of the nx-worktree-ai plugin entry in nx.json `plugins`. */
export const aiPluginOptionsSchema = z
  .object({
    /** Name of the per-project aggregate target; each batch gets `<targetName>--<batch>`. */
    targetName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a target name: letters, digits, ".", "_" and "-"')
      .default(DEFAULT_TARGET_NAME)
      .describe('Name of the per-project aggregate target; each batch gets <targetName>--<batch>.'),
    /** Each batch also depends on `^<targetName>`: the batches of the projects its project depends on. */
    dependsOnProjectBatches: z
      .boolean()
      .default(true)
      .describe('Each batch also waits for the batches of the projects its project depends on (^<targetName>).'),
    /**
     * Name of the run-report target inferred on the workspace's root project (where Nx has one, or
     * when set by name); false: none.
     */
    reportTargetName: z
      .union([z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a target name: letters, digits, ".", "_" and "-"'), z.literal(false)])
      .default(DEFAULT_REPORT_TARGET_NAME)
      .describe(
        'Name of the run-report target (nx-worktree-ai report), inferred where Nx has a root project (set by name: also on a root package.json Nx would not make a project); false for none.',
      ),
  })
  .strict();

export type AiPluginOptions = z.input<typeof aiPluginOptionsSchema>;
export type NormalizedAiPluginOptions = z.output<typeof aiPluginOptionsSchema>;

/** Applies defaults; throws an error naming the bad option and what is allowed. */
export function normalizePluginOptions(options: AiPluginOptions | undefined): NormalizedAiPluginOptions {
  const parsed = aiPluginOptionsSchema.safeParse(options ?? {}, ONE_SHOT);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${Object.keys(aiPluginOptionsSchema.shape).join(', ')}`
      : `option "${issue.path.join('.')}": ${issue.message}`,
  );
  throw new Error(`nx-worktree-ai: invalid plugin options in nx.json:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}
