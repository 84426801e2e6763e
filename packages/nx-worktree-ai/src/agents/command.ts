import { stderrSummary } from './format';
import { classifyInterrupted, exitText, overloaded, rateLimited, reasonFromText } from './failures';
import type { AgentAdapter, AgentEvent, AgentFailure, AgentInvocation, AgentOutcome, AgentRunRequest } from './types';

const PLACEHOLDER = /\{(prompt|promptFile)\}/g;

/**
 * `command: [program, ...args]`: {prompt} and {promptFile} are replaced inside arguments; when no
 * argument uses either, the prompt goes on stdin. extraArgs are appended verbatim.
 */
export function buildCommandInvocation(request: AgentRunRequest): AgentInvocation {
  const command = request.command;
  if (!command || command.length === 0 || command[0] === '') {
    throw new Error('agent "command" needs `command: [program, ...args]` in the batch frontmatter ({prompt} and {promptFile} are replaced in the arguments)');
  }
  const [bin, ...rest] = command;
  const usesPlaceholder = rest.some((arg) => arg.includes('{prompt}') || arg.includes('{promptFile}'));
  // One pass, so a prompt that itself contains "{promptFile}" is not substituted again.
  const args = rest.map((arg) => arg.replace(PLACEHOLDER, (_, key: string) => (key === 'prompt' ? request.prompt : request.promptFile)));
  return { bin, args: [...args, ...request.extraArgs], env: {}, stdin: usesPlaceholder ? null : request.prompt };
}

/** Output is free text: every non-empty line is a message. */
export function createCommandParser(): (line: string) => AgentEvent[] {
  return (line) => (line.trim() === '' ? [] : [{ kind: 'message', text: line }]);
}

/**
 * Success is exit code 0. A failing command whose stderr says it was rate limited or overloaded
 * (a 429/529, "rate limit", "overloaded") is classified so, and the executor retries it.
 */
export function classifyCommand(outcome: AgentOutcome): AgentFailure | null {
  const interrupted = classifyInterrupted('the batch command', outcome);
  if (interrupted) return interrupted;
  if (outcome.exitCode === 0) return null;
  const said = `${exitText(outcome)}: ${stderrSummary(outcome.stderrTail)}`;
  const reason = reasonFromText(outcome.stderrTail);
  if (reason === 'rate_limited') return rateLimited('the batch command', said);
  if (reason === 'overloaded') return overloaded('the batch command', said);
  return { kind: 'crashed', message: `the batch command ${said}` };
}

export const commandAdapter: AgentAdapter = {
  name: 'command',
  // Per batch: the program is command[0], i.e. the invocation's bin.
  bin: '',
  npmPackage: null,
  versionArgs: [],
  buildInvocation: buildCommandInvocation,
  createParser: createCommandParser,
  classify: classifyCommand,
};
