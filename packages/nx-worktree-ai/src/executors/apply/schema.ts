import { z } from 'zod';
import { APPLY_MODES } from '../../batch/spec';

/**
 * Options of `nx-worktree-ai:apply`, the per-project `ai-generate` target. It needs none: it
 * applies the changes of the batch targets it depends on. Command-line options reach it too (run-many
 * forwards them to every task it names): `--dry-run` and `--apply` mean the same as for the batches;
 * the others are the batches' business and are ignored here. schema.json is generated from this.
 */
export const applyOptionsSchema = z.object({
  dryRun: z.boolean().default(false).describe('Apply nothing (the batches only printed their plans).'),
  apply: z.enum(APPLY_MODES).optional().describe('Overrides how every batch result is integrated: working-tree, commit or branch.'),
});

export type ApplyOptions = z.output<typeof applyOptionsSchema>;
export type ApplyOptionsInput = z.input<typeof applyOptionsSchema>;
