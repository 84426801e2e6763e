import * as z from 'zod';
import { DEFAULT_TARGET_NAME } from '../../plugin/options';

/** Options of `nx g nx-worktree-ai:init` (what `nx add nx-worktree-ai` runs). schema.json is generated from this. */
export const initGeneratorSchema = z.object({
  targetName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a target name: letters, digits, ".", "_" and "-"')
    .default(DEFAULT_TARGET_NAME)
    .describe('Name of the inferred aggregate target; each batch gets <targetName>--<batch>.'),
  skipFormat: z.boolean().default(false).describe('Do not format the files the generator changes.'),
  keepExistingVersions: z
    .boolean()
    .default(true)
    .describe('Accepted for `nx add`; the generator changes no package versions.')
    .meta({ 'x-priority': 'internal' }),
});

export type InitGeneratorOptions = z.input<typeof initGeneratorSchema>;
