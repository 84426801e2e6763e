import { promptArgument, unsupportedLimits } from './argv';
import { createClaudeParser } from './stream-json';
import { classifyOutcome, maxTurns, type AgentFacts } from './failures';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { QwenOptions } from './options';
import { WRITE_TOOLS } from './tool-detail';
import { defineAdapter } from './adapter';
import type { AgentFailure, AgentInvocation, AgentOutcome, AgentRunRequest } from './types';

/** qwen's shell tool; `run_shell_command(<prefix>)` in --exclude-tools refuses commands starting so. */
export const QWEN_DENIED_TOOLS = DENIED_GIT_COMMANDS.map((command) => `run_shell_command(${command})`);

/** Exit code of a run stopped by --max-session-turns (gemini-cli's, which qwen is a fork of). */
const EXIT_TURN_LIMIT = 53;

export const QWEN_FACTS: AgentFacts = {
  agent: 'qwen',
  credential: 'OPENAI_API_KEY (with OPENAI_BASE_URL and OPENAI_MODEL) or another auth type in ~/.qwen/settings.json',
  writeTools: new Set([...WRITE_TOOLS, 'write_file', 'edit', 'replace']),
  permissionAdvice: 'the default approval mode, auto-edit, allows file edits: check `qwen: { approvalMode }` in the batch and agentArgs',
};

/**
 * `qwen "<prompt>" -o stream-json --exclude-tools <git deny list> --approval-mode auto-edit
 *  [-m M] [--max-session-turns N] [--resume ID] <agentArgs>`. The prompt is the positional query,
 * first, so no variadic option can swallow it; auto-edit approves file edits only (the narrowest
 * mode that can do a batch's work); yolo is opt-in through the batch's `qwen:` section.
 */
export function buildQwenInvocation(request: AgentRunRequest): AgentInvocation {
  const options = request.options as QwenOptions;
  const args = [promptArgument('qwen', request.prompt), '--output-format', 'stream-json'];
  // Variadic lists, each followed by an option.
  args.push('--exclude-tools', ...QWEN_DENIED_TOOLS, ...(options.excludeTools ?? []));
  if (options.allowedTools?.length) args.push('--allowed-tools', ...options.allowedTools);
  args.push('--approval-mode', options.approvalMode ?? 'auto-edit');
  if (request.model) args.push('--model', request.model);
  if (request.maxTurns !== null) args.push('--max-session-turns', String(request.maxTurns));
  if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
  args.push(...request.extraArgs);
  return { bin: 'qwen', args, env: {}, stdin: null, warnings: unsupportedLimits('qwen', request, { maxTurns: true, maxBudgetUsd: false }) };
}

/** Claude's classes, plus qwen's turn-limit exit code. */
export function classifyQwen(outcome: AgentOutcome): AgentFailure | null {
  if (!outcome.timedOut && !outcome.aborted && outcome.exitCode === EXIT_TURN_LIMIT && !outcome.result?.isError) {
    return maxTurns('qwen', `exit code ${EXIT_TURN_LIMIT}`);
  }
  return classifyOutcome(QWEN_FACTS, outcome);
}

/** Qwen Code's stream-json follows Claude's schema (system/init, assistant, user, result; no cost): same parser. */
export const qwenAdapter = defineAdapter({
  name: 'qwen',
  npmPackage: '@qwen-code/qwen-code',
  facts: QWEN_FACTS,
  buildInvocation: buildQwenInvocation,
  createParser: createClaudeParser,
  classify: classifyQwen,
});
