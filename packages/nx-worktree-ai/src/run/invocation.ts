import type { AgentRunRequest } from '../agents/types';
import type { BatchRun } from '../resolve/resolve';
import type { GenerateOptions } from '../resolve/options';

/** Where the agent runs and how it gets the prompt, for one run (or a dry run's preview of it). */
export interface InvocationPlace {
  /** The full prompt (preamble + batch prompt). */
  prompt: string;
  /** The prompt written to a file next to the worktree. */
  promptFile: string;
  /** The worktree root: the agent's cwd. */
  cwd: string;
  /** resume: the session to continue. */
  resumeSessionId?: string | null;
}

/**
 * The request an adapter turns into argv/env/stdin. One function for the real run and the dry run,
 * so `--dry-run` prints exactly the command a run would start.
 */
export function agentRunRequest(run: BatchRun, options: GenerateOptions, place: InvocationPlace): AgentRunRequest {
  return {
    prompt: place.prompt,
    promptFile: place.promptFile,
    cwd: place.cwd,
    model: run.model,
    maxTurns: run.maxTurns,
    maxBudgetUsd: run.maxBudgetUsd,
    command: run.spec.frontmatter.command ?? null,
    extraArgs: options.agentArgs,
    options: agentSection(run),
    resumeSessionId: place.resumeSessionId ?? null,
  };
}

/** The batch's settings section for its agent (`claude: {...}`), {} when it has none. */
export function agentSection(run: BatchRun): Record<string, unknown> {
  const section = (run.spec.frontmatter as Record<string, unknown>)[run.agent];
  return section && typeof section === 'object' ? (section as Record<string, unknown>) : {};
}

/** The prompt file the executor writes beside a worktree (`<worktree>.prompt.md`). */
export function promptFileOf(worktreeDir: string): string {
  return `${worktreeDir}.prompt.md`;
}
