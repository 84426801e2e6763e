import { unsupportedLimits } from './argv';
import { reasonFromText, statusInText, type AgentFacts } from './failures';
import { DENIED_GIT_COMMANDS } from './git-deny';
import { genericToolDetail } from './tool-detail';
import { defineAdapter } from './adapter';
import { jsonLinesParser, type TypedEvent } from './jsonl';
import type { AgentEvent, AgentInvocation, AgentResult, AgentRunRequest, LineParser } from './types';
import { isRecord, str, num, add, type Json } from './json';

/**
 * opencode permission rules for its bash tool (the last matching rule wins, so ours, added last,
 * win over the user's own): the shared git deny list as `"git push*": "deny"`.
 */
export const OPENCODE_BASH_DENY: Record<string, 'deny'> = Object.fromEntries(DENIED_GIT_COMMANDS.map((command) => [`${command}*`, 'deny' as const]));

export const OPENCODE_FACTS: AgentFacts = {
  agent: 'opencode',
  credential: "the model provider's key (e.g. ANTHROPIC_API_KEY for anthropic/..., OPENAI_API_KEY for openai/...) or run `opencode auth login`",
  writeTools: new Set(['edit', 'write', 'patch', 'multiedit']),
  permissionAdvice: 'opencode run refuses what its permission config says to ask: allow edit in opencode.json (`"permission": { "edit": "allow" }`)',
  hangHint: 'opencode waits silently when no provider is configured: check `opencode auth list` and `model: provider/model`',
};

/**
 * `opencode run --format json [--model provider/model] [--session ID] <agentArgs>`, prompt on stdin.
 * opencode quotes every positional message part that contains a space (`"..."` reaches the model),
 * while piped stdin is taken verbatim, so the prompt goes on stdin. The git deny rules travel in
 * OPENCODE_CONFIG_CONTENT, merged over any the user already sets there.
 */
export function buildOpencodeInvocation(request: AgentRunRequest, env: NodeJS.ProcessEnv = process.env): AgentInvocation {
  const args = ['run', '--format', 'json'];
  if (request.model) {
    if (!/^[^/\s]+\/\S+$/.test(request.model)) {
      throw new Error(`opencode needs \`model\` as provider/model (e.g. anthropic/claude-sonnet-4-5 or openai/gpt-5), got "${request.model}"`);
    }
    args.push('--model', request.model);
  }
  if (request.resumeSessionId) args.push('--session', request.resumeSessionId);
  args.push(...request.extraArgs);
  return {
    bin: 'opencode',
    args,
    env: { OPENCODE_CONFIG_CONTENT: opencodeConfigContent(env.OPENCODE_CONFIG_CONTENT), OPENCODE_DISABLE_AUTOUPDATE: '1' },
    stdin: request.prompt,
    warnings: unsupportedLimits('opencode', request, { maxTurns: false, maxBudgetUsd: false }),
  };
}

/** The user's inline config (if any) with the git deny rules added last to `permission.bash`. */
export function opencodeConfigContent(existing: string | undefined): string {
  let config: Json = {};
  if (existing) {
    try {
      const parsed: unknown = JSON.parse(existing);
      if (isRecord(parsed)) config = parsed;
    } catch {
      // not JSON: opencode would reject it too; ours replaces it
    }
  }
  const permission = config.permission;
  // "permission": "allow" is shorthand for every tool; keep it for the others.
  const base: Json = isRecord(permission) ? { ...permission } : typeof permission === 'string' ? { '*': permission } : {};
  const bash = base.bash;
  const bashRules: Json = isRecord(bash) ? { ...bash } : typeof bash === 'string' ? { '*': bash } : {};
  for (const key of Object.keys(OPENCODE_BASH_DENY)) delete bashRules[key];
  return JSON.stringify({ ...config, permission: { ...base, bash: { ...bashRules, ...OPENCODE_BASH_DENY } } });
}

interface OpencodeState {
  sessionId: string | null;
  started: boolean;
  steps: number;
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  cost: number | null;
  lastText: string | null;
  error: { message: string | null; status: number | null; name: string | null } | null;
  denied: string[];
  cwd: string | null;
  done: boolean;
}

/**
 * opencode's `--format json` events: step_start, text, reasoning, tool_use (completed or failed),
 * step_finish {tokens, cost} per model call, error, and (newer versions) done {rejected}. There is no
 * final result event: `end()` assembles it from the steps (tokens and cost summed, one turn per step).
 */
export function createOpencodeParser(cwd: string | null = null): LineParser {
  const state: OpencodeState = {
    sessionId: null, started: false, steps: 0, input: null, output: null, cacheRead: null, cacheWrite: null, cost: null,
    lastText: null, error: null, denied: [], cwd, done: false,
  };
  return jsonLinesParser((event, line) => parseOpencodeEvent(event, line, state), {
    end: () => {
      if (state.done || (!state.started && state.error === null)) return [];
      state.done = true;
      return [{ kind: 'result', result: opencodeResult(state) }];
    },
  });
}

function parseOpencodeEvent(event: TypedEvent, line: string, state: OpencodeState): AgentEvent[] {
  const part = isRecord(event.part) ? event.part : {};
  const events: AgentEvent[] = [];
  const sessionId = str(event.sessionID) ?? str(part.sessionID);
  if (!state.started && sessionId !== null && event.type !== 'error') {
    state.started = true;
    state.sessionId = sessionId;
    events.push({ kind: 'init', sessionId, model: null });
  }
  switch (event.type) {
    case 'step_start':
    case 'reasoning':
      return events;
    case 'text': {
      const text = str(part.text);
      if (text !== null && text.trim() !== '') {
        state.lastText = text;
        events.push({ kind: 'message', text });
      }
      return events;
    }
    case 'tool_use':
      return [...events, ...toolEvents(part, state)];
    case 'step_finish': {
      state.steps += 1;
      const tokens = isRecord(part.tokens) ? part.tokens : {};
      const cache = isRecord(tokens.cache) ? tokens.cache : {};
      state.input = add(state.input, num(tokens.input));
      // Reasoning tokens are billed as output.
      state.output = add(state.output, add(num(tokens.output), num(tokens.reasoning)));
      state.cacheRead = add(state.cacheRead, num(cache.read));
      state.cacheWrite = add(state.cacheWrite, num(cache.write));
      state.cost = add(state.cost, num(part.cost));
      return events;
    }
    case 'error':
      state.error = readError(event.error);
      if (sessionId !== null) state.sessionId ??= sessionId;
      return events;
    case 'done':
      if (Array.isArray(event.rejected)) state.denied.push(...event.rejected.filter((r): r is string => typeof r === 'string'));
      return events;
    default:
      return [...events, { kind: 'unknown', line }];
  }
}

/** A tool_use line is reported once the call is finished: its use and its result at once. */
function toolEvents(part: Json, state: OpencodeState): AgentEvent[] {
  const tool = str(part.tool) ?? 'tool';
  const id = str(part.callID) ?? str(part.id);
  const toolState = isRecord(part.state) ? part.state : {};
  const ok = toolState.status !== 'error';
  const output = str(toolState.output);
  const text = ok ? (output?.trim() ? output : str(toolState.title)) : str(toolState.error);
  if (!ok && text !== null && /reject|permission|denied/i.test(text)) state.denied.push(tool);
  return [
    { kind: 'tool-use', id, tool, detail: genericToolDetail(toolState.input, state.cwd) },
    { kind: 'tool-result', id, ok, text: text === null ? null : text.slice(0, 2000) },
  ];
}

/** `{ name: "APIError", data: { message, statusCode } }`, `{ name: "ProviderAuthError", data: { providerID, message } }`, ... */
function readError(error: unknown): NonNullable<OpencodeState['error']> {
  if (typeof error === 'string') return { message: error, status: statusInText(error), name: null };
  if (!isRecord(error)) return { message: null, status: null, name: null };
  const data = isRecord(error.data) ? error.data : {};
  const message = str(data.message) ?? str(error.message) ?? str(error.name);
  return { message, status: num(data.statusCode) ?? (message ? statusInText(message) : null), name: str(error.name) };
}

function opencodeResult(state: OpencodeState): AgentResult {
  const error = state.error;
  let reason: string | null = null;
  if (error) {
    const text = `${error.name ?? ''} ${error.message ?? ''}`;
    reason = error.name === 'ProviderAuthError' ? 'auth' : (reasonFromText(text, error.status) ?? (error.status !== null ? 'api_error' : 'error'));
  }
  return {
    isError: error !== null,
    reason,
    message: error ? (error.message ?? error.name) : state.lastText,
    sessionId: state.sessionId,
    turns: state.steps,
    tokens: { input: state.input, output: state.output, cacheRead: state.cacheRead, cacheWrite: state.cacheWrite },
    costUsd: state.cost,
    permissionDenials: state.denied,
    apiErrorStatus: error?.status ?? null,
  };
}

export const opencodeAdapter = defineAdapter({
  name: 'opencode',
  npmPackage: 'opencode-ai',
  facts: OPENCODE_FACTS,
  buildInvocation: (request) => buildOpencodeInvocation(request),
  createParser: createOpencodeParser,
});
