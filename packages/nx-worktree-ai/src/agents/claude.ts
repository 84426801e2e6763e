import { defineAdapter } from './adapter';
import type { AgentFacts } from './failures';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { ClaudeOptions } from './options';
import { createClaudeParser } from './stream-json';
import { WRITE_TOOLS } from './tool-detail';
import type { AgentInvocation, AgentRunRequest } from './types';

/**
 * Bash commands Claude may not run, whatever the permission mode (deny rules hold even under
 * bypassPermissions): the shared git deny list (git-deny.ts) as `Bash(<command>:*)` rules.
 */
export const CLAUDE_DENIED_TOOLS = DENIED_GIT_COMMANDS.map((command) => `Bash(${command}:*)`);

/** How claude's failures are worded (failures.ts). */
export const CLAUDE_FACTS: AgentFacts = {
  agent: 'claude',
  credential: 'ANTHROPIC_API_KEY (or run `claude /login`)',
  writeTools: WRITE_TOOLS,
  permissionAdvice:
    'check the deny rules in .claude/settings.json and the permission mode in agentArgs (the default, acceptEdits, allows edits inside the worktree)',
};

export function buildClaudeInvocation(request: AgentRunRequest): AgentInvocation {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  // --disallowedTools takes a variable number of values: an option must follow it, never a positional.
  const options = request.options as ClaudeOptions;
  args.push('--disallowedTools', ...CLAUDE_DENIED_TOOLS, ...(options.disallowedTools ?? []));
  if (options.allowedTools?.length) args.push('--allowedTools', ...options.allowedTools);
  // Always after the variadic tool lists, which would otherwise swallow what follows.
  args.push('--permission-mode', options.permissionMode ?? 'acceptEdits');
  if (options.agent) args.push('--agent', options.agent);
  if (options.appendSystemPrompt) args.push('--append-system-prompt', options.appendSystemPrompt);
  if (request.model) args.push('--model', request.model);
  if (request.maxTurns !== null) args.push('--max-turns', String(request.maxTurns));
  if (request.maxBudgetUsd !== null) args.push('--max-budget-usd', String(request.maxBudgetUsd));
  if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
  args.push(...request.extraArgs);
  // The prompt goes on stdin: no argv length limit, and a prompt starting with "-" is not an option.
  return { bin: 'claude', args, env: { DISABLE_AUTOUPDATER: '1' }, stdin: request.prompt };
}

export const claudeAdapter = defineAdapter({
  name: 'claude',
  npmPackage: '@anthropic-ai/claude-code',
  facts: CLAUDE_FACTS,
  buildInvocation: buildClaudeInvocation,
  createParser: createClaudeParser,
});
