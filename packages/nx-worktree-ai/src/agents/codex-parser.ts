import { reasonFromText, statusInText } from './failures';
import { oneLine } from './format';
import { isRecord, num, str, type Json } from './json';
import { jsonLinesParser, type TypedEvent } from './jsonl';
import { genericToolDetail, relativeToCwd } from './tool-detail';
import type { AgentEvent, AgentResult, LineParser } from './types';

/** What a write refused by a read-only sandbox is called in permissionDenials and messages. */
export const CODEX_SANDBOX_DENIAL = 'writes (read-only sandbox)';

const TOOL_RESULT_MAX = 2000;
/** "Reconnecting... 2/5 (cause)", "Reconnecting... waiting for network (cause)". */
const RECONNECTING = /^Reconnecting\.\.\.\s*(?:(\d+)\/\d+)?[^(]*(?:\(([\s\S]*)\))?\s*$/;
const READ_ONLY = /Read-only file system/;
/** codex's text for a 5xx answer (its own wording; the status is not in it). */
export const SERVER_ERROR = /currently experiencing high demand/i;
export const MISSING_ENV = /Missing environment variable: `?([A-Za-z_][A-Za-z0-9_]*)`?/;

interface CodexState {
  cwd: string | null;
  sessionId: string | null;
  /** Item ids announced by item.started (their item.completed then only reports the result). */
  started: Set<string>;
  lastMessage: string | null;
  /** The last `error` event that was not a reconnect notice (codex repeats it in turn.failed). */
  lastError: string | null;
  denials: string[];
}

/**
 * `codex exec --json` events (codex-rs exec_events.rs): thread.started {thread_id}, turn.started,
 * item.started|updated|completed {item: agent_message | reasoning | command_execution | file_change |
 * mcp_tool_call | web_search | todo_list | error}, error {message} (also "Reconnecting... n/m (...)"
 * before each retry), turn.completed {usage} and turn.failed {error}. A turn's end is the result:
 * tokens (usage is cumulative per thread), no cost, no turn count (the executor counts turns).
 * Never throws: a line it cannot read is unknown.
 */
export function createCodexParser(cwd: string | null = null): LineParser {
  const state: CodexState = { cwd, sessionId: null, started: new Set(), lastMessage: null, lastError: null, denials: [] };
  return jsonLinesParser((event, line) => parseCodexEvent(event, line, state));
}

function parseCodexEvent(event: TypedEvent, line: string, state: CodexState): AgentEvent[] {
  switch (event.type) {
    case 'thread.started':
      state.sessionId = str(event.thread_id) ?? state.sessionId;
      return [{ kind: 'init', sessionId: state.sessionId, model: null }];
    case 'turn.started':
      return [];
    case 'item.started':
    case 'item.updated':
    case 'item.completed':
      return isRecord(event.item) ? parseItem(event.type, event.item, line, state) : [{ kind: 'unknown', line }];
    case 'error':
      return parseError(str(event.message) ?? '', state);
    case 'turn.completed':
      return [{ kind: 'result', result: codexResult(state, isRecord(event.usage) ? event.usage : null, null) }];
    case 'turn.failed': {
      const error = isRecord(event.error) ? event.error : {};
      return [{ kind: 'result', result: codexResult(state, null, str(error.message) ?? state.lastError ?? 'the turn failed') }];
    }
    default:
      return [{ kind: 'unknown', line }];
  }
}

function parseError(message: string, state: CodexState): AgentEvent[] {
  const retry = RECONNECTING.exec(message);
  if (retry) {
    const cause = retry[2] ?? null;
    return [{ kind: 'retry', attempt: retry[1] ? Number(retry[1]) : null, status: cause ? statusInText(cause) : null, message: cause }];
  }
  state.lastError = message;
  return [];
}

function parseItem(type: string, item: Json, line: string, state: CodexState): AgentEvent[] {
  const id = str(item.id);
  const completed = type === 'item.completed';
  switch (item.type) {
    case 'agent_message': {
      if (!completed) return [];
      const text = str(item.text);
      if (text === null || text.trim() === '') return [];
      state.lastMessage = text;
      return [{ kind: 'message', text }];
    }
    case 'reasoning':
    case 'todo_list':
      return [];
    case 'error':
      // Non-fatal notices ("Model metadata for `x` not found", "Falling back from WebSockets ...").
      return [];
    case 'command_execution':
      return toolItem(type, id, state, 'shell', shellDetail(str(item.command)), () => {
        const output = str(item.aggregated_output);
        if (output !== null && READ_ONLY.test(output)) state.denials.push(CODEX_SANDBOX_DENIAL);
        const exit = num(item.exit_code);
        return { ok: item.status === 'completed' && (exit === null || exit === 0), text: output ? output.slice(-TOOL_RESULT_MAX) : null };
      });
    case 'file_change':
      return toolItem(type, id, state, 'apply_patch', changesDetail(item.changes, state.cwd), () => ({
        ok: item.status === 'completed',
        text: item.status === 'completed' ? null : 'the patch was not applied',
      }));
    case 'mcp_tool_call': {
      const name = [str(item.server), str(item.tool)].filter(Boolean).join('.') || 'mcp';
      return toolItem(type, id, state, name, genericToolDetail(item.arguments, state.cwd), () => {
        const error = isRecord(item.error) ? str(item.error.message) : null;
        return { ok: item.status === 'completed' && error === null, text: error };
      });
    }
    case 'web_search':
      return toolItem(type, id, state, 'web_search', str(item.query), () => ({ ok: true, text: null }));
    default:
      return [{ kind: 'unknown', line }];
  }
}

/** tool-use when an item starts (or completes unannounced), tool-result when it completes. */
function toolItem(
  type: string,
  id: string | null,
  state: CodexState,
  tool: string,
  detail: string | null,
  result: () => { ok: boolean; text: string | null },
): AgentEvent[] {
  if (type === 'item.updated') return [];
  const events: AgentEvent[] = [];
  const announced = id !== null && state.started.has(id);
  if (!announced) {
    if (id !== null) state.started.add(id);
    events.push({ kind: 'tool-use', id, tool, detail });
  }
  if (type === 'item.completed') {
    const { ok, text } = result();
    events.push({ kind: 'tool-result', id, ok, text });
  }
  return events;
}

/** `/bin/bash -lc 'npm test'` -> `npm test`. */
export function shellDetail(command: string | null): string | null {
  if (command === null) return null;
  const wrapped = /^(?:\/\S*\/)?(?:ba|z|)sh\s+-l?c\s+(['"])([\s\S]*)\1\s*$/.exec(command.trim());
  const inner = wrapped ? (wrapped[1] === "'" ? wrapped[2].replace(/'\\''/g, "'") : wrapped[2].replace(/\\(["\\$`])/g, '$1')) : command;
  return oneLine(inner, 80);
}

function changesDetail(changes: unknown, cwd: string | null): string | null {
  if (!Array.isArray(changes)) return null;
  const parts = changes.filter(isRecord).map((c) => {
    const path = str(c.path);
    const kind = str(c.kind);
    return path === null ? null : `${kind && kind !== 'update' ? `${kind} ` : ''}${relativeToCwd(path, cwd)}`;
  });
  const shown = parts.filter((p): p is string => p !== null);
  return shown.length === 0 ? null : oneLine(shown.join(', '), 120);
}

function codexResult(state: CodexState, usage: Json | null, error: string | null): AgentResult {
  const cached = usage ? num(usage.cached_input_tokens) : null;
  const input = usage ? num(usage.input_tokens) : null;
  const status = error !== null ? errorStatus(error) : null;
  return {
    isError: error !== null,
    reason: error !== null ? errorReason(error, status) : null,
    message: error ?? state.lastMessage,
    sessionId: state.sessionId,
    turns: null,
    tokens: {
      // OpenAI's input_tokens include the cached ones: report them apart, as Anthropic does.
      input: input !== null ? input - (cached ?? 0) : null,
      output: usage ? num(usage.output_tokens) : null,
      cacheRead: cached,
      cacheWrite: usage ? num(usage.cache_write_input_tokens) : null,
    },
    costUsd: null,
    permissionDenials: [...state.denials],
    apiErrorStatus: status,
  };
}

/** The HTTP status a codex error names ("unexpected status 401 Unauthorized", "last status: 429 ..."). */
function errorStatus(message: string): number | null {
  const explicit = /\bstatus:?\s*(\d{3})\b/i.exec(message);
  return explicit ? Number(explicit[1]) : statusInText(message);
}

function errorReason(message: string, status: number | null): string {
  if (MISSING_ENV.test(message)) return 'auth';
  if (status === null && SERVER_ERROR.test(message)) return 'api_error';
  return reasonFromText(message, status) ?? 'api_error';
}
