import * as z from 'zod';
import { AGENT_NAMES, APPLY_MODES } from '../../batch/spec';

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

/** A batch id as CAST writes it: a number (the spec's form) or a string. */
const batchId = z.union([z.number(), z.string().min(1)]);
const batchIds = z.union([batchId, z.array(batchId)]).transform((v) => (Array.isArray(v) ? v : [v]).map(String));

/**
 * One agent of a batch. `subagent_type` and `prompt` are the manifest's own keys, `owns_files` and
 * `depends_on` the planner's optional ones; the others are nx-worktree-ai additions (CAST ignores
 * keys it does not know) that say per agent what the manifest cannot (project, files, limits).
 * An agent without a type or a prompt is skipped with a warning, as cast-exec skips it.
 */
export const agentSchema = z
  .object({
    subagent_type: z.string().optional(),
    prompt: z.string().optional(),
    owns_files: stringList.optional(),
    depends_on: batchIds.optional(),
    name: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
    outputs: stringList.optional(),
    context: stringList.optional(),
    agent: z.enum(AGENT_NAMES).optional(),
    model: z.string().min(1).optional(),
    apply: z.enum(APPLY_MODES).optional(),
    timeout: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().optional(),
    maxBudgetUsd: z.number().positive().optional(),
    verify: z.array(z.string().min(1)).min(1).optional(),
    verifyTimeout: z.string().min(1).optional(),
    attempts: z.number().int().positive().optional(),
    samples: z.number().int().positive().optional(),
    samplesAgents: z.array(z.enum(AGENT_NAMES)).min(1).optional(),
  })
  .passthrough();

export const manifestBatchSchema = z
  .object({
    id: batchId.optional(),
    description: z.string().optional(),
    parallel: z.boolean().default(false),
    type: z.string().optional(),
    depends_on: batchIds.optional(),
    verify_files: stringList.optional(),
    agents: z.array(agentSchema).default([]),
  })
  .passthrough();

export const manifestSchema = z
  .object({
    plan_id: z.union([z.string().min(1), z.number()]).transform(String).optional(),
    batches: z.array(manifestBatchSchema),
  })
  .passthrough();

export type ManifestAgent = z.output<typeof agentSchema>;
export type ManifestBatch = z.output<typeof manifestBatchSchema>;

/** Keys a manifest agent may have that become settings of its batch file. */
export const AGENT_SETTING_KEYS = ['project', 'outputs', 'context', 'agent', 'model', 'apply', 'timeout', 'maxTurns', 'maxBudgetUsd', 'verify', 'verifyTimeout', 'attempts', 'samples', 'samplesAgents'] as const;

const KNOWN_KEYS = {
  manifest: new Set(['plan_id', 'batches']),
  batch: new Set(['id', 'description', 'parallel', 'type', 'depends_on', 'verify_files', 'agents']),
  agent: new Set(['subagent_type', 'prompt', 'owns_files', 'depends_on', 'name', ...AGENT_SETTING_KEYS]),
};

/** Why a CAST key has no effect here, for the warning line that reports it. */
const WHY_IGNORED: Record<string, string> = {
  commit_repos: 'each batch here is applied to the workspace it came from; commits to other repositories are not made',
};

/** One warning line per key of `value` that the plan does not use (never dropped silently). */
export function ignoredKeys(where: string, level: keyof typeof KNOWN_KEYS, value: Record<string, unknown>): string[] {
  return Object.keys(value)
    .filter((key) => !KNOWN_KEYS[level].has(key))
    .map((key) => `${where}: key "${key}" is not used${WHY_IGNORED[key] ? ` (${WHY_IGNORED[key]})` : ''}: ${JSON.stringify(value[key])}`);
}
