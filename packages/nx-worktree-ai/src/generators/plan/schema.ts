import * as z from 'zod';
import { AGENT_NAMES } from '../../batch/spec';

/** A list given as comma-separated text on the command line, or as an array. */
const listOption = z.union([z.string(), z.array(z.string())]);

export const PLAN_FORMATS = ['auto', 'markdown', 'manifest'] as const;

/** Options of `nx g nx-worktree-ai:plan <file>`. schema.json is generated from this. */
export const planGeneratorSchema = z
  .object({
    file: z
      .string()
      .min(1)
      .describe('The plan file (markdown): a plan with one "## <batch>" section per batch, or a cast-parallel Agent Dispatch Manifest (a ```json dispatch block). Relative to the workspace root or the current directory.')
      .meta({ $default: { $source: 'argv', index: 0 }, 'x-prompt': 'Which plan file should become batch files (e.g. plan.md)?', 'x-priority': 'important' }),
    format: z
      .enum(PLAN_FORMATS)
      .default('auto')
      .describe('How to read the plan: auto (a ```json dispatch block makes it a manifest, otherwise a markdown plan), markdown or manifest.'),
    project: z
      .string()
      .min(1)
      .optional()
      .describe('Project of the batches that do not name one (every manifest agent, unless it has a "project" key).')
      .meta({ 'x-dropdown': 'projects' }),
    outputs: listOption
      .optional()
      .describe(
        'Outputs (globs relative to the project root, comma-separated) of the batches that do not name any. {name} is replaced by the batch name, {id} by the manifest batch id, {type} by the subagent_type: e.g. src/{name}/**.',
      ),
    agent: z.enum(AGENT_NAMES).optional().describe('Agent of the batches that do not name one (default claude).'),
    model: z.string().min(1).optional().describe('Model of the batches that do not name one.'),
    directory: z
      .string()
      .min(1)
      .default('ai')
      .refine((d) => !d.startsWith('/') && !d.split('/').includes('..'), 'a folder inside the project, without ".." or a leading "/"')
      .describe('Folder, relative to each project root, of the batch files: <project root>/<directory>/<name>.ai.md.'),
    streams: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Manifests: run the batches as N independent chains of consecutive batches, as cast-parallel runs its streams. A stream does not wait for the one before it, so cut only where the later batches do not need the earlier ones. Default: one chain, the manifest\'s order.',
      ),
    split: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Manifests: two independent chains, batches 1..K and K+1..end (cast-parallel's --split K). Batch K+1 does not wait for batch K."),
    deleteRemoved: z
      .boolean()
      .default(false)
      .describe('Delete batch files written from this plan earlier whose section or agent is gone. Default: only report them.'),
  })
  .strict();

export type PlanGeneratorOptions = z.input<typeof planGeneratorSchema>;
export type NormalizedPlanOptions = z.output<typeof planGeneratorSchema>;
