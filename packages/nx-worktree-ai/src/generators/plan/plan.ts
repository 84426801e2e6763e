import type { AgentName, ApplyMode } from '../../batch/spec';

/**
 * A plan, whatever its format: the batches it asks for, in the plan's order. Settings the plan
 * does not give (project, outputs, ...) come from the generator's options.
 */
export interface Plan {
  format: 'markdown' | 'manifest';
  /** The markdown plan's `# title`, or the manifest's plan_id. */
  title: string | null;
  batches: PlannedBatch[];
  /** What the plan asked for that is skipped or not used, one line each (shown as warnings). */
  notes: string[];
  /** Lines that describe how the plan was read (e.g. its streams), shown as information. */
  info: string[];
}

export interface PlannedBatch {
  /** Batch name: the file name without `.ai.md`. Unique in the plan. */
  name: string;
  /** Where the batch comes from, for messages: `section "auth-module" (line 12)`. */
  origin: string;
  /** Placeholder values for the default outputs: {name}, {id}, {type}. */
  placeholders: Record<string, string>;
  project?: string;
  outputs?: string[];
  description?: string;
  /** Batch names of the plan, `project:batch`, or batches that already exist in the project. */
  dependsOn: string[];
  context?: string[];
  agent?: AgentName;
  model?: string;
  apply?: ApplyMode;
  timeout?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  /** A manifest agent's `owns_files`: paths from the workspace root (or absolute), mapped to outputs. */
  ownsFiles?: string[];
  /** Files of the manifest batch's `verify_files` this agent checks (verify-files.ts). */
  verifyFiles?: string[];
  /** A manifest agent's `subagent_type`: claude's `--agent` when the workspace defines it. */
  subagentType?: string;
  /** The check the work must pass (argv), its timeout, agent runs in all, samples and their agents. */
  verify?: string[];
  verifyTimeout?: string;
  attempts?: number;
  samples?: number;
  samplesAgents?: string[];
  prompt: string;
}

/** A plan that cannot be read: the file, and one line per problem with where it is. */
export class PlanError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `the plan has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`}`);
    this.name = 'PlanError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A heading or a subagent type as a batch name: kept when valid, else lower-case words joined by "-". */
export function toBatchName(text: string): string {
  const trimmed = text.trim();
  if (NAME.test(trimmed)) return trimmed;
  return trimmed
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .replace(/-{2,}/g, '-');
}

export function isBatchName(text: string): boolean {
  return NAME.test(text);
}
