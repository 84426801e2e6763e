import { promptArgument, unsupportedLimits } from './argv';
import { createStreamJsonParser } from './stream-json';
import { defineAdapter } from './adapter';
import type { AgentFacts } from './failures';
import { genericToolDetail } from './tool-detail';
import type { AgentEvent, AgentInvocation, AgentRunRequest, LineParser } from './types';
import { isRecord, type Json } from './json';

/** Cursor's CLI is not an npm package. */
export const CURSOR_INSTALL = 'curl https://cursor.com/install -fsS | bash (Cursor CLI, not on npm)';

export const CURSOR_FACTS: AgentFacts = {
  agent: 'cursor-agent',
  credential: 'CURSOR_API_KEY (or run `cursor-agent login`)',
  writeTools: new Set(['Write', 'Edit', 'Delete']),
  permissionAdvice: 'check the deny rules in .cursor/cli.json or ~/.cursor/cli-config.json',
};

/**
 * `cursor-agent -p --output-format stream-json -f [--model M] [--resume ID] <agentArgs> "<prompt>"`.
 * -f (force) lets print mode apply edits and run commands the CLI's own permission config does not
 * deny; the prompt is the positional argument, last. Cursor has no command-line deny rules: deny
 * `Shell(git push)` and friends in .cursor/cli.json (see the README).
 */
export function buildCursorInvocation(request: AgentRunRequest): AgentInvocation {
  const args = ['-p', '--output-format', 'stream-json', '-f'];
  if (request.model) args.push('--model', request.model);
  if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
  args.push(...request.extraArgs, promptArgument('cursor-agent', request.prompt));
  return { bin: 'cursor-agent', args, env: {}, stdin: null, warnings: unsupportedLimits('cursor-agent', request, { maxTurns: false, maxBudgetUsd: false }) };
}

/** readToolCall -> Read, shellToolCall -> Shell; `{ function: { name } }` -> its name. */
function toolOf(call: Json): { tool: string; body: Json } | null {
  for (const [key, body] of Object.entries(call)) {
    if (!isRecord(body)) continue;
    if (key === 'function') return { tool: typeof body.name === 'string' ? body.name : 'function', body };
    const name = key.replace(/ToolCall$/, '');
    return { tool: name.charAt(0).toUpperCase() + name.slice(1), body };
  }
  return null;
}

function argsOf(body: Json): unknown {
  if (isRecord(body.args)) return body.args;
  if (typeof body.arguments === 'string') {
    try {
      return JSON.parse(body.arguments);
    } catch {
      return null;
    }
  }
  return body.arguments;
}

/**
 * cursor-agent's stream-json is Claude's (system/init, user, assistant, result) plus
 * `tool_call` events: subtype started / completed, `tool_call: { writeToolCall: { args, result } }`.
 * Its result has no usage, no cost and no turn count.
 */
export function createCursorParser(): LineParser {
  const denied: string[] = [];
  const extension = (event: Json, line: string, cwd: string | null): AgentEvent[] | undefined => {
    if (event.type !== 'tool_call') return undefined;
    const call = isRecord(event.tool_call) ? toolOf(event.tool_call) : null;
    if (!call) return [{ kind: 'unknown', line }];
    const id = typeof event.call_id === 'string' ? event.call_id : null;
    if (event.subtype === 'started') return [{ kind: 'tool-use', id, tool: call.tool, detail: genericToolDetail(argsOf(call.body), cwd) }];
    if (event.subtype !== 'completed') return [{ kind: 'unknown', line }];
    const result = isRecord(call.body.result) ? call.body.result : {};
    const ok = 'success' in result;
    const failure = isRecord(result.rejected) ? result.rejected : isRecord(result.error) ? result.error : isRecord(result.failure) ? result.failure : null;
    const text = failure && typeof (failure.reason ?? failure.message) === 'string' ? String(failure.reason ?? failure.message) : null;
    if ('rejected' in result) denied.push(call.tool);
    return [{ kind: 'tool-result', id, ok, text }];
  };
  // Claude's reading of the result, plus the refusals seen in tool_call results.
  return createStreamJsonParser(extension, (result) => result.permissionDenials.push(...denied));
}

export const cursorAdapter = defineAdapter({
  name: 'cursor',
  bin: 'cursor-agent',
  install: CURSOR_INSTALL,
  facts: CURSOR_FACTS,
  buildInvocation: buildCursorInvocation,
  createParser: createCursorParser,
});
