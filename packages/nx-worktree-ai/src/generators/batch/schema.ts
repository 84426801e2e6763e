import * as z from 'zod';
import { PLACEHOLDER_PROMPT } from '../../batch/placeholder';
import { AGENT_NAMES, APPLY_MODES } from '../../batch/spec';

/** A list given as comma-separated text on the command line, or as an array. */
const listOption = z.union([z.string(), z.array(z.string())]);

export const BATCH_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Written when no prompt is given; a run refuses it until it is replaced (batch/placeholder.ts). */
export const DEFAULT_PROMPT = PLACEHOLDER_PROMPT;

/** Options of `nx g nx-worktree-ai:batch`. schema.json is generated from this (x-prompt and $default included). */
export const batchGeneratorSchema = z
  .object({
    name: z
      .string()
      .regex(BATCH_NAME_PATTERN, 'a batch name: starts with a letter or digit, then letters, digits, ".", "_" or "-"')
      .describe('Name of the batch: the file is <project root>/ai/<name>.ai.md and the target <targetName>--<name>.')
      .meta({ $default: { $source: 'argv', index: 0 }, 'x-prompt': 'What is the name of the batch (e.g. auth-module)?', 'x-priority': 'important' }),
    project: z
      .string()
      .min(1)
      .describe('The project the batch belongs to.')
      .meta({
        $default: { $source: 'projectName' },
        'x-prompt': 'Which project does the batch belong to?',
        'x-dropdown': 'projects',
        'x-priority': 'important',
      }),
    outputs: listOption
      .describe('Globs, relative to the project root, of the files the batch may write (comma-separated), e.g. src/auth/**.')
      .meta({ 'x-prompt': 'Which files may the batch write? Globs relative to the project root, comma-separated (e.g. src/auth/**):' }),
    description: z.string().min(1).optional().describe('One line shown by `nx show project`.'),
    agent: z.enum(AGENT_NAMES).default('claude').describe('The agent CLI that runs the batch.'),
    model: z.string().min(1).optional().describe('Model passed to the agent (e.g. sonnet).'),
    dependsOn: listOption.optional().describe('Batches to run first: names in this project, or project:batch (comma-separated).'),
    context: listOption
      .optional()
      .describe('Extra cache inputs: paths or globs relative to the project root, or {workspaceRoot}/... (comma-separated).'),
    apply: z.enum(APPLY_MODES).optional().describe('How the result is integrated: working-tree (default), commit or branch.'),
    allowEmpty: z
      .boolean()
      .optional()
      .describe('Writes allowEmpty: true: a run whose agent changes no file succeeds (status "empty") instead of failing.'),
    prompt: z.string().default(DEFAULT_PROMPT).describe('The prompt (markdown after the frontmatter).'),
  })
  .strict();

export type BatchGeneratorOptions = z.input<typeof batchGeneratorSchema>;
