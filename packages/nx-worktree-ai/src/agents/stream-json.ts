import { isRecord, num, str, type Json } from './json';
import { jsonLinesParser, type TypedEvent } from './jsonl';
import { genericToolDetail, toolDetail } from './tool-detail';
import type { AgentEvent, AgentResult, LineParser } from './types';

/**
 * A hook for CLIs that speak Claude's stream-json with extra event types (cursor's tool_call):
 * returns the events for a line it handles, undefined to leave the line to the Claude parser.
 */
export type StreamJsonExtension = (event: Json, line: string, cwd: string | null) => AgentEvent[] | undefined;

interface ParserState {
  /** From system/init: tool paths are shown relative to it. */
  cwd: string | null;
  /** An assistant message flagged authentication_failed (not-logged-in reports no HTTP status). */
  authFailed: boolean;
  /** Lets a CLI with extra events complete the result (cursor's refused tool calls). */
  onResult?: (result: AgentResult) => void;
}

const TOOL_RESULT_MAX = 2000;
const AUTH_TEXT = /not logged in|please run \/login|invalid api key|authentication_error|oauth token/i;

/** A fresh stream-json line parser (stateful: cwd and auth errors seen so far). Never throws. */
export function createClaudeParser(): LineParser {
  return createStreamJsonParser();
}

/**
 * Claude's stream-json parser, shared by the CLIs that copy its schema (qwen, amp, cursor), with an
 * optional extension for event types of their own. Never throws: a line it cannot read is unknown.
 */
export function createStreamJsonParser(extension?: StreamJsonExtension, onResult?: (result: AgentResult) => void): LineParser {
  const state: ParserState = { cwd: null, authFailed: false, onResult };
  return jsonLinesParser((event, line) => parseEvent(event, line, state, extension));
}

function parseEvent(event: TypedEvent, line: string, state: ParserState, extension?: StreamJsonExtension): AgentEvent[] {
  const extended = extension?.(event, line, state.cwd);
  if (extended) {
    if (event.type === 'system' && event.subtype === 'init') state.cwd = str(event.cwd);
    return extended;
  }
  switch (event.type) {
    case 'system':
      return parseSystem(event, line, state);
    case 'assistant':
      return parseAssistant(event, line, state);
    case 'user':
      return parseUser(event);
    case 'result': {
      const result = parseResult(event, state);
      state.onResult?.(result);
      return [{ kind: 'result', result }];
    }
    default:
      return [{ kind: 'unknown', line }];
  }
}

function parseSystem(event: Json, line: string, state: ParserState): AgentEvent[] {
  switch (event.subtype) {
    case 'init':
      state.cwd = str(event.cwd);
      return [{ kind: 'init', sessionId: str(event.session_id), model: str(event.model) }];
    case 'api_retry':
      return [{ kind: 'retry', attempt: num(event.attempt), status: num(event.error_status), message: str(event.error) }];
    case 'permission_denied':
      // Repeated by the tool_result that follows (is_error) and by the result's permission_denials.
      return [];
    default:
      return [{ kind: 'unknown', line }];
  }
}

function parseAssistant(event: Json, line: string, state: ParserState): AgentEvent[] {
  if (event.error === 'authentication_failed') state.authFailed = true;
  const content = isRecord(event.message) ? event.message.content : undefined;
  if (!Array.isArray(content)) return [{ kind: 'unknown', line }];
  const events: AgentEvent[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
      events.push({ kind: 'message', text: block.text });
    } else if (block.type === 'tool_use' && typeof block.name === 'string') {
      // Claude's own tools first; the CLIs that copy its schema (qwen, amp) name theirs differently.
      const detail = toolDetail(block.name, block.input, state.cwd) ?? genericToolDetail(block.input, state.cwd);
      events.push({ kind: 'tool-use', id: str(block.id), tool: block.name, detail });
    }
  }
  return events;
}

function parseUser(event: Json): AgentEvent[] {
  const content = isRecord(event.message) ? event.message.content : undefined;
  if (!Array.isArray(content)) return [];
  const events: AgentEvent[] = [];
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_result') continue;
    const text = toolResultText(block.content);
    events.push({ kind: 'tool-result', id: str(block.tool_use_id), ok: block.is_error !== true, text });
  }
  return events;
}

function toolResultText(content: unknown): string | null {
  if (typeof content === 'string') return content.slice(0, TOOL_RESULT_MAX);
  if (!Array.isArray(content)) return null;
  const texts = content.filter(isRecord).map((part) => str(part.text)).filter((t): t is string => t !== null);
  return texts.length === 0 ? null : texts.join('\n').slice(0, TOOL_RESULT_MAX);
}

function parseResult(event: Json, state: ParserState): AgentResult {
  const subtype = str(event.subtype);
  // Never trust subtype alone: auth and API failures report subtype "success" with is_error true.
  const isError = event.is_error === true || (subtype?.startsWith('error') ?? false);
  const message = str(event.result) ?? joinErrors(event.errors);
  const apiErrorStatus = num(event.api_error_status);
  const usage = isRecord(event.usage) ? event.usage : {};
  return {
    isError,
    reason: isError ? errorReason(event, apiErrorStatus, message, state) : null,
    message,
    sessionId: str(event.session_id),
    turns: num(event.num_turns),
    tokens: {
      input: num(usage.input_tokens),
      output: num(usage.output_tokens),
      cacheRead: num(usage.cache_read_input_tokens),
      cacheWrite: num(usage.cache_creation_input_tokens),
    },
    costUsd: num(event.total_cost_usd),
    permissionDenials: deniedTools(event.permission_denials),
    apiErrorStatus,
  };
}

function joinErrors(errors: unknown): string | null {
  if (!Array.isArray(errors)) return null;
  const texts = errors.filter((e): e is string => typeof e === 'string');
  return texts.length === 0 ? null : texts.join('; ');
}

function deniedTools(denials: unknown): string[] {
  if (!Array.isArray(denials)) return [];
  return denials.filter(isRecord).map((d) => str(d.tool_name) ?? 'unknown tool');
}

function errorReason(event: Json, status: number | null, message: string | null, state: ParserState): string {
  const subtype = str(event.subtype);
  const terminal = str(event.terminal_reason);
  if (subtype === 'error_max_turns' || terminal === 'max_turns') return 'max_turns';
  if (subtype === 'error_max_budget_usd' || terminal === 'budget_exhausted') return 'max_budget';
  if (status === 401 || state.authFailed || (message !== null && AUTH_TEXT.test(message))) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status !== null || terminal === 'api_error') return 'api_error';
  return terminal ?? subtype ?? 'error';
}
