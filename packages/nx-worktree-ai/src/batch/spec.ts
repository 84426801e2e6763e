import * as z from 'zod';
import { AGENT_NAMES } from '../agents/names';
import { claudeOptionsSchema, codexOptionsSchema, copilotOptionsSchema, geminiOptionsSchema, qwenOptionsSchema } from '../agents/options';
import { checkedString } from './checked';
import { parseDuration } from './duration';
import { batchNameProblem, contextEntryProblem, globProblem, modelProblem, projectNameProblem } from './names';
import { APPLY_MODES, SANDBOX_MODES } from './modes';
import { batchRunSettings } from './run-settings';

export { AGENT_NAMES, type AgentName } from '../agents/names';

export { APPLY_MODES, SANDBOX_MODES, type ApplyMode, type SandboxMode } from './modes';

/** At most this many agent runs per batch: each one costs a session. */
export const MAX_ATTEMPTS = 10;
/** At most this many samples of a batch at once: each one is a worktree and a session. */
export const MAX_SAMPLES = 8;

/** "20m", "90s", "1h30m", "1500ms" or a number of milliseconds; never zero (a hard timeout always applies). */
export const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^(\d+(ms|s|m|h))+$/, 'a duration such as 90s, 20m or 1h30m')
    .refine((value) => parseDuration(value) > 0, 'a duration above zero (the hard timeout cannot be turned off)'),
]);

export { checkedString };

const globSchema = checkedString(globProblem, 'a glob relative to the project root, without "..", a leading "/" or "-", or control characters');

const contextSchema = checkedString(contextEntryProblem, 'a path or glob relative to the project root, or "{workspaceRoot}/<path>", without ".." or a leading "/"');

const dependsOnSchema = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const colon = value.lastIndexOf(':');
    const project = colon >= 0 ? value.slice(0, colon) : null;
    const found = (project !== null ? projectNameProblem(project) : null) ?? batchNameProblem(value.slice(colon + 1));
    if (found) ctx.addIssue({ code: 'custom', message: `a batch name or project:batch (this one ${found})` });
  });

/** A model name, passed as the value of --model. */
export const modelSchema = checkedString(modelProblem, 'a model name, e.g. sonnet');

/** The frontmatter of a `<name>.ai.md` batch file. Unknown keys are errors. */
export const batchFrontmatterSchema = z
  .object({
    description: z.string().optional(),
    agent: z.enum(AGENT_NAMES).default('claude'),
    model: modelSchema.optional(),
    outputs: z.array(globSchema).min(1),
    context: z.array(contextSchema).default([]),
    dependsOn: z.array(dependsOnSchema).default([]),
    apply: z.enum(APPLY_MODES).default('working-tree'),
    sandbox: z.enum(SANDBOX_MODES).optional(),
    timeout: durationSchema.optional(),
    maxTurns: z.number().int().positive().optional(),
    maxBudgetUsd: z.number().positive().optional(),
    /** true: a run whose agent changed no file still succeeds (status "empty"); by default it fails. */
    allowEmpty: z.boolean().optional(),
    /** argv run in the worktree after the agent ({projectRoot} substituted, no shell); exit 0 = the work passed. */
    verify: z.array(z.string().min(1)).min(1).optional(),
    /** How long one verify run may take (default 10m). */
    verifyTimeout: durationSchema.optional(),
    /** Agent runs in all: the first, then fixes in the same session while verify fails (default 3 with verify, else 1). */
    attempts: z.number().int().positive().max(MAX_ATTEMPTS).optional(),
    /** With verify: independent runs at once, each in its own worktree; the first whose work passes is applied. */
    samples: z.number().int().positive().max(MAX_SAMPLES).optional(),
    /** The agent of each sample, in turn (`[claude, codex]`); the batch's agent by default. */
    samplesAgents: z.array(z.enum(AGENT_NAMES)).min(1).max(MAX_SAMPLES).optional(),
    /** Arguments for the `command` agent: argv, with {prompt} / {promptFile} placeholders. */
    command: z.array(z.string()).min(1).optional(),
    /** One optional section per agent with settings of its own (agents/options.ts). */
    claude: claudeOptionsSchema.optional(),
    qwen: qwenOptionsSchema.optional(),
    copilot: copilotOptionsSchema.optional(),
    codex: codexOptionsSchema.optional(),
    gemini: geminiOptionsSchema.optional(),
    /** sparse, nodeModules, copyFiles: as the executor options (batch/run-settings.ts). */
    ...batchRunSettings,
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
