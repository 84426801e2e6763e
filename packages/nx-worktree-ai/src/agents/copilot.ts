import { promptArgument, unsupportedLimits } from './argv';
import { reasonFromText, statusInText, type AgentFacts } from './failures';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { CopilotOptions } from './options';
import { genericToolDetail } from './tool-detail';
import { defineAdapter } from './adapter';
import { jsonLinesParser, type TypedEvent } from './jsonl';
import type { AgentEvent, AgentInvocation, AgentResult, AgentRunRequest, LineParser } from './types';
import { isRecord, str, num, add, type Json } from './json';

/** The shared git deny list as copilot `--deny-tool` rules (`shell(git push)`, as in `copilot --help`). */
export const COPILOT_DENIED_TOOLS = DENIED_GIT_COMMANDS.map((command) => `shell(${command})`);

export const COPILOT_FACTS: AgentFacts = {
  agent: 'copilot',
  credential: 'COPILOT_GITHUB_TOKEN (or GH_TOKEN / GITHUB_TOKEN: a token with the "Copilot Requests" permission), or run `copilot login`',
  writeTools: new Set(['write', 'edit', 'create', 'str_replace_editor', 'apply_patch', 'edit_file']),
  permissionAdvice: 'allow writes with `copilot: { allowTools: [write] }` in the batch, or keep allowAllTools (the default)',
};

/**
 * `copilot -p "<prompt>" --output-format json --allow-all-tools --deny-tool=<git deny list>...
 *  --no-ask-user --no-auto-update [--model M] [--resume=ID] <agentArgs>`.
 * -p needs tool approval up front (--allow-all-tools, which the help calls required for
 * non-interactive mode). What still holds: path verification (no --allow-all-paths: files outside
 * the worktree and the temp dir need approval, i.e. are refused), URL verification (no
 * --allow-all-urls), and --deny-tool, which wins over any allow. `--no-ask-user`: no question can
 * stall a headless run.
 */
export function buildCopilotInvocation(request: AgentRunRequest): AgentInvocation {
  const options = request.options as CopilotOptions;
  const args = ['-p', promptArgument('copilot', request.prompt), '--output-format', 'json'];
  if (options.allowAllTools !== false) args.push('--allow-all-tools');
  // One --opt=value per rule: neither variadic list can swallow what follows.
  for (const tool of options.allowTools ?? []) args.push(`--allow-tool=${tool}`);
  for (const tool of [...COPILOT_DENIED_TOOLS, ...(options.denyTools ?? [])]) args.push(`--deny-tool=${tool}`);
  args.push('--no-ask-user', '--no-auto-update');
  if (request.model) args.push('--model', request.model);
  if (request.resumeSessionId) args.push(`--resume=${request.resumeSessionId}`);
  args.push(...request.extraArgs);
  return { bin: 'copilot', args, env: {}, stdin: null, warnings: unsupportedLimits('copilot', request, { maxTurns: false, maxBudgetUsd: false }) };
}

interface CopilotState {
  cwd: string | null;
  started: boolean;
  turns: number;
  /** From assistant.usage when the CLI sends it (newer versions); else null. */
  input: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  /** assistant.usage output tokens when sent, else the sum of assistant.message outputTokens. */
  usageOutput: number | null;
  messageOutput: number | null;
  lastText: string | null;
  error: { message: string | null; status: number | null; type: string | null } | null;
  denied: string[];
  tools: Map<string, string>;
}

/** Session event types that carry nothing for progress or the result. */
const QUIET = /^(session\.(?!error$|start$)|user\.|assistant\.(turn_end|message_delta|reasoning|reasoning_delta|intent)$|hook\.|subagent\.)/;

/**
 * copilot's `--output-format json` stream: its session events `{ type, data, id, timestamp }`
 * (session.*, user.message, assistant.turn_start, assistant.message {content, outputTokens},
 * tool.execution_start {toolCallId, toolName, arguments}, tool.execution_complete {success, result},
 * session.error) and a final `result {sessionId, exitCode, usage: {premiumRequests, ...}}`. The
 * result has no token counts and no cost: output tokens are summed from the messages, input and
 * cost stay null (premium requests are not dollars).
 */
export function createCopilotParser(cwd: string | null = null): LineParser {
  const state: CopilotState = {
    cwd, started: false, turns: 0, input: null, cacheRead: null, cacheWrite: null, usageOutput: null, messageOutput: null,
    lastText: null, error: null, denied: [], tools: new Map(),
  };
  return jsonLinesParser((event, line) => parseCopilotEvent(event, line, state));
}

function parseCopilotEvent(event: TypedEvent, line: string, state: CopilotState): AgentEvent[] {
  const data = isRecord(event.data) ? event.data : {};
  switch (event.type) {
    case 'session.start':
      state.started = true;
      return [{ kind: 'init', sessionId: str(data.sessionId), model: str(data.selectedModel) ?? str(data.model) }];
    case 'session.tools_updated':
      // The first event that names the model, when no session.start came.
      if (state.started) return [];
      state.started = true;
      return [{ kind: 'init', sessionId: null, model: str(data.model) }];
    case 'assistant.turn_start':
      state.turns += 1;
      return [];
    case 'assistant.message': {
      state.messageOutput = add(state.messageOutput, num(data.outputTokens));
      const text = str(data.content);
      if (text === null || text.trim() === '') return [];
      state.lastText = text.trim();
      return [{ kind: 'message', text: text.trim() }];
    }
    case 'assistant.usage':
      state.input = add(state.input, num(data.inputTokens));
      state.usageOutput = add(state.usageOutput, num(data.outputTokens));
      state.cacheRead = add(state.cacheRead, num(data.cacheReadTokens));
      state.cacheWrite = add(state.cacheWrite, num(data.cacheWriteTokens));
      return [];
    case 'tool.execution_start': {
      const tool = str(data.toolName) ?? 'tool';
      const id = str(data.toolCallId);
      if (id) state.tools.set(id, tool);
      return [{ kind: 'tool-use', id, tool, detail: genericToolDetail(data.arguments, state.cwd) }];
    }
    case 'tool.execution_complete':
      return [toolResult(data, state)];
    case 'session.error': {
      const message = str(data.message);
      state.error = { message, status: num(data.statusCode) ?? (message ? statusInText(message) : null), type: str(data.errorType) };
      return [];
    }
    case 'result':
      return [{ kind: 'result', result: copilotResult(event, state) }];
    default:
      return QUIET.test(event.type) ? [] : [{ kind: 'unknown', line }];
  }
}

function toolResult(data: Json, state: CopilotState): AgentEvent {
  const id = str(data.toolCallId);
  const ok = data.success !== false;
  const result = isRecord(data.result) ? data.result : {};
  const error = isRecord(data.error) ? data.error : {};
  const text = ok ? str(result.content) : (str(error.message) ?? str(result.content));
  const tool = (id && state.tools.get(id)) || null;
  if (!ok && tool !== null && text !== null && /denied|not permitted|permission|not allowed/i.test(text)) state.denied.push(tool);
  return { kind: 'tool-result', id, ok, text: text === null ? null : text.slice(0, 2000) };
}

function copilotResult(event: Json, state: CopilotState): AgentResult {
  const exitCode = num(event.exitCode);
  const error = state.error;
  const isError = error !== null || (exitCode !== null && exitCode !== 0);
  let reason: string | null = null;
  if (isError) {
    const text = `${error?.type ?? ''} ${error?.message ?? ''}`;
    reason = /auth/i.test(error?.type ?? '') ? 'auth' : (reasonFromText(text, error?.status ?? null) ?? 'error');
  }
  return {
    isError,
    reason,
    message: error?.message ?? (isError && exitCode !== null ? `exit code ${exitCode}` : state.lastText),
    sessionId: str(event.sessionId),
    turns: state.turns,
    tokens: { input: state.input, output: state.usageOutput ?? state.messageOutput, cacheRead: state.cacheRead, cacheWrite: state.cacheWrite },
    costUsd: null,
    permissionDenials: state.denied,
    apiErrorStatus: error?.status ?? null,
  };
}

export const copilotAdapter = defineAdapter({
  name: 'copilot',
  npmPackage: '@github/copilot',
  facts: COPILOT_FACTS,
  buildInvocation: buildCopilotInvocation,
  createParser: createCopilotParser,
});
