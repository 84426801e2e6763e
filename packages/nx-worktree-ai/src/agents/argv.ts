import type { AgentRunRequest } from './types';

/**
 * Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN) with E2BIG; CLIs that take
 * the prompt as an argument get a clear error before that.
 */
export const MAX_PROMPT_ARG_BYTES = 128 * 1024 - 1;

/**
 * The prompt as one command-line argument, for CLIs that read it from argv (copilot -p, qwen, cursor).
 * A prompt starting with "-" would be read as an option: a leading newline keeps it a value. The
 * executor's prompt always starts with its preamble, so this only guards direct use.
 */
export function promptArgument(agent: string, prompt: string): string {
  const bytes = Buffer.byteLength(prompt, 'utf8');
  if (bytes > MAX_PROMPT_ARG_BYTES) {
    throw new Error(
      `the prompt is ${Math.ceil(bytes / 1024)} KiB but ${agent} takes it as a command-line argument, which is limited to 128 KiB: ` +
        'shorten the prompt (list reference files in `context` and let the agent read them) or use an agent that reads the prompt from stdin (claude, opencode, amp)',
    );
  }
  return prompt.startsWith('-') ? `\n${prompt}` : prompt;
}

/** Warnings for limits the CLI has no flag for: the batch still runs, under the hard timeout. */
export function unsupportedLimits(agent: string, request: AgentRunRequest, supports: { maxTurns: boolean; maxBudgetUsd: boolean }): string[] {
  const warnings: string[] = [];
  if (!supports.maxTurns && request.maxTurns !== null) {
    warnings.push(`${agent} has no turn limit: maxTurns ${request.maxTurns} is not enforced (the timeout still is)`);
  }
  if (!supports.maxBudgetUsd && request.maxBudgetUsd !== null) {
    warnings.push(`${agent} has no spending limit: maxBudgetUsd ${request.maxBudgetUsd} is not enforced (the timeout still is)`);
  }
  return warnings;
}
