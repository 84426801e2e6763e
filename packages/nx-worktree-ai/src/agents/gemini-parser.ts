import { reasonFromText, statusInText } from './failures';
import { isRecord, num, str, type Json } from './json';
import { jsonLinesParser, type TypedEvent } from './jsonl';
import { genericToolDetail } from './tool-detail';
import type { AgentEvent, AgentResult, LineParser } from './types';

const TOOL_RESULT_MAX = 2000;
/** Lines kept for `-o json` (one pretty-printed document): at most this many characters. */
const JSON_DOCUMENT_MAX = 4 * 1024 * 1024;

interface GeminiState {
  cwd: string | null;
  sessionId: string | null;
  /** Assistant text streamed as deltas, not yet shown (one message is many `delta` events). */
  pending: string;
  lastMessage: string | null;
  lastError: string | null;
  sawResult: boolean;
  /** Lines that were not stream-json: with `-o json` they are one pretty-printed document. */
  other: string[];
  otherChars: number;
}

/**
 * gemini's `-o stream-json` events: init {session_id, model}, message {role, content, delta},
 * tool_use {tool_name, tool_id, parameters}, tool_result {tool_id, status, output, error}, error
 * {severity, message}, result {status, error {type, message}, stats {input_tokens, output_tokens,
 * cached, input, total_tokens, tool_calls, duration_ms, models}}. No cost, no turn count (the
 * executor counts turns). Assistant deltas are joined into one message, shown before the next event.
 * `end()` also reads `-o json` output (one document over many lines) when no result came.
 */
export function createGeminiParser(cwd: string | null = null): LineParser {
  const state: GeminiState = { cwd, sessionId: null, pending: '', lastMessage: null, lastError: null, sawResult: false, other: [], otherChars: 0 };
  return jsonLinesParser((event, line) => parseGeminiEvent(event, line, state), {
    other: (line) => keepOther(line, state),
    end: () => [...flush(state), ...jsonDocumentResult(state)],
  });
}

function parseGeminiEvent(event: TypedEvent, line: string, state: GeminiState): AgentEvent[] {
  switch (event.type) {
    case 'init':
      state.sessionId = str(event.session_id) ?? state.sessionId;
      return [...flush(state), { kind: 'init', sessionId: state.sessionId, model: str(event.model) }];
    case 'message': {
      if (event.role !== 'assistant') return flush(state);
      const content = str(event.content) ?? '';
      if (event.delta === true) {
        state.pending += content;
        return [];
      }
      state.pending += content;
      return flush(state);
    }
    case 'tool_use':
      return [
        ...flush(state),
        { kind: 'tool-use', id: str(event.tool_id), tool: str(event.tool_name) ?? 'tool', detail: genericToolDetail(event.parameters, state.cwd) },
      ];
    case 'tool_result': {
      const error = isRecord(event.error) ? str(event.error.message) : null;
      const output = str(event.output);
      const text = error ?? (output && output.trim() !== '' ? output : null);
      return [...flush(state), { kind: 'tool-result', id: str(event.tool_id), ok: event.status === 'success', text: text ? text.slice(0, TOOL_RESULT_MAX) : null }];
    }
    case 'error':
      state.lastError = str(event.message) ?? state.lastError;
      return flush(state);
    case 'result': {
      const events = flush(state);
      state.sawResult = true;
      events.push({ kind: 'result', result: streamResult(event, state) });
      return events;
    }
    default:
      return [...flush(state), { kind: 'unknown', line }];
  }
}

function flush(state: GeminiState): AgentEvent[] {
  const text = state.pending;
  state.pending = '';
  if (text.trim() === '') return [];
  state.lastMessage = text;
  return [{ kind: 'message', text }];
}

function keepOther(line: string, state: GeminiState): void {
  if (state.otherChars + line.length > JSON_DOCUMENT_MAX) return;
  state.other.push(line);
  state.otherChars += line.length + 1;
}

function streamResult(event: Json, state: GeminiState): AgentResult {
  const stats = isRecord(event.stats) ? event.stats : {};
  const error = isRecord(event.error) ? event.error : null;
  const isError = event.status !== 'success';
  const message = error ? (str(error.message) ?? str(error.type) ?? 'error') : isError ? (state.lastError ?? 'gemini reported an error') : state.lastMessage;
  const cached = num(stats.cached);
  const inputTokens = num(stats.input_tokens);
  return {
    isError,
    reason: isError ? errorReason(error ? str(error.type) : null, message) : null,
    message,
    sessionId: state.sessionId,
    turns: null,
    tokens: {
      input: num(stats.input) ?? (inputTokens !== null ? inputTokens - (cached ?? 0) : null),
      output: num(stats.output_tokens),
      cacheRead: cached,
      cacheWrite: null,
    },
    costUsd: null,
    permissionDenials: [],
    apiErrorStatus: isError && message ? apiStatus(message) : null,
  };
}

/** `-o json`: {session_id, response, stats: {models: {name: {tokens}}}, error?} over many lines. */
function jsonDocumentResult(state: GeminiState): AgentEvent[] {
  if (state.sawResult || state.other.length === 0) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(state.other.join('\n'));
  } catch {
    return [];
  }
  if (!isRecord(doc) || (!('session_id' in doc) && !('stats' in doc) && !('error' in doc))) return [];
  state.sawResult = true;
  const sessionId = str(doc.session_id) ?? state.sessionId;
  const error = isRecord(doc.error) ? doc.error : null;
  const models = isRecord(doc.stats) && isRecord(doc.stats.models) ? Object.values(doc.stats.models).filter(isRecord) : [];
  const sum = (key: string): number | null => {
    const values = models.map((m) => (isRecord(m.tokens) ? num(m.tokens[key]) : null)).filter((v): v is number => v !== null);
    return values.length ? values.reduce((a, b) => a + b, 0) : null;
  };
  const prompt = sum('prompt');
  const cached = sum('cached');
  const message = error ? (str(error.message) ?? 'error') : str(doc.response);
  const events: AgentEvent[] = [];
  if (sessionId && !state.sessionId) events.push({ kind: 'init', sessionId, model: null });
  if (!error && message) events.push({ kind: 'message', text: message });
  events.push({
    kind: 'result',
    result: {
      isError: error !== null,
      reason: error ? errorReason(str(error.type), message) : null,
      message,
      sessionId,
      turns: null,
      tokens: { input: sum('input') ?? (prompt !== null ? prompt - (cached ?? 0) : null), output: sum('candidates'), cacheRead: cached, cacheWrite: null },
      costUsd: null,
      permissionDenials: [],
      apiErrorStatus: error && message ? apiStatus(message) : null,
    },
  });
  return events;
}

/** The HTTP status of "[API Error: {"error":{"code":401,...}}]" and the like. */
function apiStatus(message: string): number | null {
  const code = /"code"\s*:\s*(\d{3})/.exec(message);
  return code ? Number(code[1]) : statusInText(message);
}

function errorReason(type: string | null, message: string | null): string {
  if (type === 'FatalTurnLimitedError' || (message !== null && /max(imum)? session turns/i.test(message))) return 'max_turns';
  if (type === 'FatalAuthenticationError') return 'auth';
  if (message === null) return type ?? 'error';
  return reasonFromText(message, apiStatus(message)) ?? (/\[API Error/.test(message) ? 'api_error' : (type ?? 'error'));
}
