import * as z from 'zod';
import { APPLY_MODES } from '../../batch/spec';

/**
 * Options of the per-project step: the `nx-worktree-ai:apply` executor's, and the forwarded
 * `--dry-run` and `--apply` of the `nx-worktree-ai apply` command the inferred `ai-generate` runs.
 * Command-line options reach it too (run-many forwards them to every task it names): `--dry-run`
 * and `--apply` mean the same as for the batches; the others are the batches' business and are
 * ignored here. schema.json is generated from this.
 */
export const applyOptionsSchema = z.object({
  dryRun: z.boolean().default(false).describe('Apply nothing (the batches only printed their plans).'),
  apply: z.enum(APPLY_MODES).optional().describe('Overrides how every batch result is integrated: working-tree, commit or branch.'),
});

export type ApplyOptions = z.output<typeof applyOptionsSchema>;
export type ApplyOptionsInput = z.input<typeof applyOptionsSchema>;
