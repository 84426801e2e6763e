import { z } from 'zod';
import { claudeOptionsSchema, codexOptionsSchema, copilotOptionsSchema, geminiOptionsSchema, qwenOptionsSchema } from '../agents/options';
import { parseDuration } from './duration';

/** Agents a batch can name. `command` runs any program (see agents/command.ts). */
export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'opencode', 'copilot', 'qwen', 'cursor', 'amp', 'command'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

export const APPLY_MODES = ['working-tree', 'commit', 'branch'] as const;
export type ApplyMode = (typeof APPLY_MODES)[number];

/** "20m", "90s", "1h30m", "1500ms" or a number of milliseconds; never zero (a hard timeout always applies). */
export const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^(\d+(ms|s|m|h))+$/, 'a duration such as 90s, 20m or 1h30m')
    .refine((value) => parseDuration(value) > 0, 'a duration above zero (the hard timeout cannot be turned off)'),
]);

const globSchema = z
  .string()
  .min(1)
  .refine((g) => !g.startsWith('/') && !g.split('/').includes('..'), 'a glob relative to the project root, without ".." or a leading "/"');

/** The frontmatter of a `<name>.ai.md` batch file. Unknown keys are errors. */
export const batchFrontmatterSchema = z
  .object({
    description: z.string().optional(),
    agent: z.enum(AGENT_NAMES).default('claude'),
    model: z.string().min(1).optional(),
    outputs: z.array(globSchema).min(1),
    context: z.array(z.string().min(1)).default([]),
    dependsOn: z.array(z.string().regex(/^([A-Za-z0-9@._\/-]+:)?[A-Za-z0-9._-]+$/, 'a batch name or project:batch')).default([]),
    apply: z.enum(APPLY_MODES).default('working-tree'),
    timeout: durationSchema.optional(),
    maxTurns: z.number().int().positive().optional(),
    maxBudgetUsd: z.number().positive().optional(),
    /** Arguments for the `command` agent: argv, with {prompt} / {promptFile} placeholders. */
    command: z.array(z.string()).min(1).optional(),
    /** One optional section per agent with settings of its own (agents/options.ts). */
    claude: claudeOptionsSchema.optional(),
    qwen: qwenOptionsSchema.optional(),
    copilot: copilotOptionsSchema.optional(),
    codex: codexOptionsSchema.optional(),
    gemini: geminiOptionsSchema.optional(),
  })
  .strict();

export type BatchFrontmatter = z.output<typeof batchFrontmatterSchema>;

/** A parsed batch file: where it is, what it says. */
export interface BatchSpec {
  /** Batch name: the file name without `.ai.md`. */
  name: string;
  /** Path of the .ai.md file from the workspace root (posix separators). */
  file: string;
  /** Root of the project that owns the file, from the workspace root ('' or '.' never: '.' is the root project). */
  projectRoot: string;
  frontmatter: BatchFrontmatter;
  /** The prompt: the markdown after the frontmatter, verbatim. */
  prompt: string;
}

export const BATCH_FILE_SUFFIX = '.ai.md';

export function batchNameFromFile(file: string): string {
  const base = file.split('/').pop()!;
  return base.slice(0, -BATCH_FILE_SUFFIX.length);
}
