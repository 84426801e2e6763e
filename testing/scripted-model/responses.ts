/**
 * A scripted stand-in for the OpenAI Responses API, for driving the REAL Codex CLI (`codex exec`) in
 * tests through a custom model provider (codex ignores OPENAI_BASE_URL; see the reference README).
 *
 * Point `codex` at it with `codexProviderConfig(server.url)` (`-c` overrides, or a batch's
 * `codex.config`) and `codexTestEnv(server.url, codexHome)`. Every main request of a session (header
 * `session-id`, the thread id) gets the next step of the rule its prompt matched: a real tool call
 * (apply_patch, exec_command, any function) or a final text answer, streamed as real SSE. The CLI
 * executes the tool calls itself, so files really change. See README.md in this folder.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLogEntry, ScriptRule } from './anthropic';
import {
  absolutePath,
  defaultErrorMessage,
  estimateTokens,
  findRule,
  proxySinkEnv,
  relativePath,
  sendJson,
  serveError,
  shellQuote,
  shellWrite,
  sleep,
  startScriptedServer,
  type ScriptedServer,
  type StepPointer,
  type ToolStep,
  type Tracker,
} from './common';

export type { ScriptedServer };

export interface ResponsesServerOptions {
  rules: ScriptRule[];
  /** Delay before each main reply (simulated model latency), default 0. */
  delayMs?: number;
  /** Port on 127.0.0.1, default 0 (any free port). */
  port?: number;
  onLog?: (entry: RequestLogEntry) => void;
}

/** Name of the model provider the helpers below define. */
export const CODEX_PROVIDER = 'scripted';

export interface CodexProviderOptions {
  /**
   * Retries of a failed request (provider `request_max_retries`) and of a broken stream
   * (`stream_max_retries`): codex 0.169 retries 5xx, 429 and even 401 (its defaults are 4 and 5,
   * so a sticky error costs 30 requests and ~25 s). Default 1: a transient error is retried once.
   */
  maxRetries?: number;
  /** Provider `stream_idle_timeout_ms` (codex default 300000). */
  streamIdleTimeoutMs?: number;
}

/**
 * The config that makes codex use the server: `model_provider` and the provider table, as a map of
 * `-c` keys to values (a batch's `codex.config` takes it as is; `codexConfigArgs` renders `-c` args).
 * The provider reads its key from CODEX_API_KEY, the variable codex's own provider uses, so failure
 * messages that name it are right for both.
 */
export function codexProviderConfig(url: string, options: CodexProviderOptions = {}): Record<string, unknown> {
  const retries = options.maxRetries ?? 1;
  const provider: Record<string, unknown> = {
    name: CODEX_PROVIDER,
    base_url: url,
    env_key: 'CODEX_API_KEY',
    wire_api: 'responses',
    supports_websockets: false,
    request_max_retries: retries,
    stream_max_retries: retries,
  };
  if (options.streamIdleTimeoutMs !== undefined) provider.stream_idle_timeout_ms = options.streamIdleTimeoutMs;
  return { model_provider: CODEX_PROVIDER, [`model_providers.${CODEX_PROVIDER}`]: provider };
}

/** `-c key=value` arguments for `codexProviderConfig` (values as TOML), for running codex directly. */
export function codexConfigArgs(config: Record<string, unknown>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['-c', `${key}=${tomlValue(value)}`]);
}

function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)} = ${tomlValue(v)}`)
      .join(', ')} }`;
  }
  throw new Error(`scripted-model: no TOML form for ${String(value)}`);
}

/**
 * Environment for the real `codex` CLI: CODEX_HOME (a fresh directory per test: config, sessions
 * for `exec resume`, never ~/.codex), CODEX_API_KEY=fake, and the proxy sink so nothing but
 * 127.0.0.1 is reachable. Merge over process.env.
 */
export function codexTestEnv(url: string, codexHome: string, options: { apiKey?: string; proxySink?: boolean } = {}): Record<string, string> {
  return {
    CODEX_HOME: codexHome,
    CODEX_API_KEY: options.apiKey ?? 'fake',
    OPENAI_API_KEY: '',
    ...(options.proxySink === false ? {} : proxySinkEnv(url)),
  };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Session extends StepPointer {
  rule: ScriptRule | null;
  cachedTokens: number;
}

interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
}

interface ResponsesBody {
  model?: string;
  stream?: boolean;
  input?: InputItem[];
  tools?: Array<{ type?: string; name?: string }>;
  prompt_cache_key?: string;
}

type OutputItem =
  | { type: 'message'; id: string; role: 'assistant'; status: 'completed'; content: Array<{ type: 'output_text'; text: string; annotations: [] }> }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'completed' }
  | { type: 'custom_tool_call'; id: string; call_id: string; name: string; input: string; status: 'completed' };

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Forbidden.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again in 1s.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

export async function startResponsesServer(opts: ResponsesServerOptions): Promise<ScriptedServer> {
  const delayMs = opts.delayMs ?? 0;
  const sessions = new Map<string, Session>();

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string, tracker: Tracker): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = path.split('?')[0].replace(/^\/v1(?=\/)/, '');
    const base = { at: Date.now(), method, path, cwd: null as string | null };
    const aux = (status: number, reply: string, model: string | null = null): RequestLogEntry => ({ ...base, session: sessionHeader(req), rule: null, step: null, kind: 'auxiliary', model, status, reply });

    if (method === 'GET' && pathname === '/models') {
      sendJson(res, 200, { object: 'list', data: [], models: [] });
      tracker.log(aux(200, 'models'));
      return;
    }
    let body: ResponsesBody = {};
    try {
      body = raw ? (JSON.parse(raw) as ResponsesBody) : {};
    } catch {
      sendJson(res, 400, { error: { message: 'scripted-model: body is not JSON', type: 'invalid_request_error', code: null } });
      tracker.log(aux(400, 'bad json'));
      return;
    }
    const model = typeof body.model === 'string' ? body.model : null;
    if (method !== 'POST' || pathname !== '/responses') {
      sendJson(res, 404, { error: { message: `scripted-model: no route ${method} ${pathname}`, type: 'invalid_request_error', code: null } });
      tracker.log(aux(404, 'not found', model));
      return;
    }
    if (!Array.isArray(body.tools) || body.tools.length === 0) {
      // Auxiliary call (no tools: a title, a summary): answer briefly, never touching a script.
      const items: OutputItem[] = [message('Scripted session')];
      sendResponse(res, body, items, usageFor(raw, items, 0));
      tracker.log(aux(200, 'auxiliary text', model));
      return;
    }

    // ---- main loop request ----
    const sessionId = sessionHeader(req) ?? body.prompt_cache_key ?? '(no session id)';
    let session = sessions.get(sessionId);
    if (!session) {
      session = { rule: findRule(opts.rules, promptText(body.input)), step: 0, errorsServed: 0, cachedTokens: 0 };
      sessions.set(sessionId, session);
    }
    tracker.sessionActive(sessionId);
    const cwd = findCwd(body.input);
    const entry: RequestLogEntry = { ...base, cwd, session: sessionId, rule: session.rule?.name ?? null, step: null, kind: 'main', model, status: 200, reply: '', lastPrompt: lastPromptText(body.input) };
    tracker.startMain(entry, res);
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    const reply = (items: OutputItem[], describe: string, final: boolean): void => {
      entry.reply = describe;
      const usage = usageFor(raw, items, session.cachedTokens);
      session.cachedTokens = usage.input_tokens;
      sendResponse(res, body, items, usage);
      if (final) tracker.sessionEnded(sessionId);
    };
    if (!session.rule) {
      reply([message(`scripted-model: no rule matched the prompt: ${JSON.stringify(promptText(body.input).slice(0, 300))}`)], 'no rule matched', true);
      return;
    }
    const steps = session.rule.steps;
    entry.step = session.step;
    if (session.step >= steps.length) {
      reply([message(`Done (scripted rule ${session.rule.name}).`)], 'done', true);
      return;
    }
    const step = steps[session.step];
    if ('hang' in step) {
      entry.reply = 'hang';
      return;
    }
    if ('error' in step) {
      const e = step.error;
      if (serveError(session, e.times) === 'sticky') tracker.sessionEnded(sessionId);
      entry.status = e.status;
      entry.reply = `error ${e.status}`;
      const known = ERRORS[e.status] ?? { type: e.type ?? 'api_error', code: null, message: defaultErrorMessage(e.status) };
      const headers: Record<string, string> = { 'x-request-id': `req_${randomBytes(12).toString('hex')}` };
      if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
      sendJson(res, e.status, { error: { message: e.message ?? known.message, type: e.type ?? known.type, param: null, code: known.code } }, headers);
      return;
    }
    session.step++;
    if ('text' in step) {
      reply([message(step.text)], 'text', true);
      return;
    }
    const calls = toolCalls(step, cwd, toolKinds(body.tools));
    if (typeof calls === 'string') {
      reply([message(calls)], 'text (step failed)', true);
      return;
    }
    reply([...(step.say ? [message(step.say)] : []), ...calls.items], `tool_call ${calls.describe}`, false);
  };

  return startScriptedServer('scripted-model (responses)', { ...opts, urlPath: '/v1' }, handle);
}

// ---------------------------------------------------------------------------------------------
// Request reading
// ---------------------------------------------------------------------------------------------

function sessionHeader(req: IncomingMessage): string | null {
  for (const name of ['session-id', 'thread-id', 'x-client-request-id']) {
    const value = req.headers[name];
    if (typeof value === 'string' && value) return value;
  }
  return null;
}

function texts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: { text?: unknown }) => (part && typeof part.text === 'string' ? [part.text] : []));
}

/** Context codex puts in user messages before the prompt itself. */
const CONTEXT_BLOCK = /^\s*(<environment_context>|<user_instructions>|<INSTRUCTIONS>|# AGENTS\.md instructions|<skills_instructions>|<permissions instructions>)/;

/** The prompt: the text of the user messages without the context blocks codex adds. */
export function promptText(input: InputItem[] | undefined): string {
  const user = (input ?? []).filter((item) => item.role === 'user' && (item.type === undefined || item.type === 'message'));
  return user
    .flatMap((item) => texts(item.content))
    .filter((text) => !CONTEXT_BLOCK.test(text))
    .join('\n');
}

/** The text of the latest user message without context blocks: the prompt of an `exec resume`, on its first request. */
export function lastPromptText(input: InputItem[] | undefined): string | null {
  const user = (input ?? []).filter((item) => item.role === 'user' && (item.type === undefined || item.type === 'message'));
  for (const item of user.reverse()) {
    const own = texts(item.content).filter((text) => !CONTEXT_BLOCK.test(text));
    if (own.length) return own.join('\n');
  }
  return null;
}

/** The agent's cwd, from `<cwd>...</cwd>` of the latest environment context (a resumed thread may add one). */
function findCwd(input: InputItem[] | undefined): string | null {
  let cwd: string | null = null;
  for (const item of input ?? []) {
    for (const text of texts(item.content)) {
      const m = /<cwd>([^<]+)<\/cwd>/.exec(text);
      if (m) cwd = m[1].trim();
    }
  }
  return cwd;
}

/** Tool name -> 'function' | 'custom' (apply_patch is a freeform custom tool for models that have it). */
function toolKinds(tools: ResponsesBody['tools']): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const tool of tools ?? []) if (tool && typeof tool.name === 'string') kinds.set(tool.name, tool.type ?? 'function');
  return kinds;
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function message(text: string): OutputItem {
  return { type: 'message', id: id('msg'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
}

function functionCall(name: string, args: Record<string, unknown>): OutputItem {
  return { type: 'function_call', id: id('fc'), call_id: id('call'), name, arguments: JSON.stringify(args), status: 'completed' };
}

function customCall(name: string, input: string): OutputItem {
  return { type: 'custom_tool_call', id: id('ctc'), call_id: id('call'), name, input, status: 'completed' };
}

/**
 * The tool calls of a step. Files are written with apply_patch when the CLI offers it (models it
 * knows, e.g. gpt-5.5) and the content fits a patch, else with exec_command (printf, exact bytes).
 */
function toolCalls(step: ToolStep, cwd: string | null, tools: Map<string, string>): { items: OutputItem[]; describe: string } | string {
  const noCwd = (p: string): string => `scripted-model: cannot resolve ${p}: no <cwd> found in the request`;
  const shell = (cmd: string): OutputItem | null => (tools.has('exec_command') ? functionCall('exec_command', { cmd }) : tools.has('shell') ? functionCall('shell', { command: ['bash', '-lc', cmd] }) : null);
  const noShell = 'scripted-model: the CLI offers neither apply_patch nor exec_command';
  const patchable = (content: string): boolean => tools.get('apply_patch') === 'custom' && content.endsWith('\n') && !content.includes('\r');
  if ('write' in step) {
    const file = absolutePath(step.write.path, cwd);
    if (!file) return noCwd(step.write.path);
    const { content } = step.write;
    if (!existsSync(file) && patchable(content)) {
      const patch = ['*** Begin Patch', `*** Add File: ${relativePath(file, cwd)}`, ...content.slice(0, -1).split('\n').map((l) => `+${l}`), '*** End Patch', ''].join('\n');
      return { items: [customCall('apply_patch', patch)], describe: `apply_patch add ${step.write.path}` };
    }
    const call = shell(shellWrite(file, content));
    return call ? { items: [call], describe: `exec_command write ${step.write.path}` } : noShell;
  }
  if ('edit' in step) {
    const file = absolutePath(step.edit.path, cwd);
    if (!file) return noCwd(step.edit.path);
    if (!existsSync(file)) return `scripted-model: cannot edit ${step.edit.path}: it does not exist`;
    const before = readFileSync(file, 'utf8');
    const { oldString, newString, replaceAll } = step.edit;
    const at = before.indexOf(oldString);
    if (at < 0) return `scripted-model: cannot edit ${step.edit.path}: the old string is not in it`;
    const after = replaceAll ? before.split(oldString).join(newString) : before.replace(oldString, () => newString);
    if (!replaceAll && patchable(before) && oldString !== '' && oldString.endsWith('\n') === newString.endsWith('\n')) {
      // apply_patch replaces whole lines: the lines holding the old string, and what they become.
      const start = before.lastIndexOf('\n', at - 1) + 1;
      const lineEnd = before.indexOf('\n', at + oldString.length - 1);
      const end = lineEnd < 0 ? before.length : lineEnd;
      const oldBlock = before.slice(start, end);
      const newBlock = after.slice(start, end + newString.length - oldString.length);
      const patch = ['*** Begin Patch', `*** Update File: ${relativePath(file, cwd)}`, '@@', ...oldBlock.split('\n').map((l) => `-${l}`), ...newBlock.split('\n').map((l) => `+${l}`), '*** End Patch', ''].join('\n');
      return { items: [customCall('apply_patch', patch)], describe: `apply_patch update ${step.edit.path}` };
    }
    const call = shell(shellWrite(file, after));
    return call ? { items: [call], describe: `exec_command edit ${step.edit.path}` } : noShell;
  }
  if ('read' in step) {
    const file = absolutePath(step.read, cwd);
    if (!file) return noCwd(step.read);
    const call = shell(`cat ${shellQuote(file)}`);
    return call ? { items: [call], describe: `exec_command cat ${step.read}` } : noShell;
  }
  if ('bash' in step) {
    const call = shell(step.bash);
    return call ? { items: [call], describe: `exec_command ${step.bash.slice(0, 80)}` } : noShell;
  }
  const { name, input } = step.tool;
  if (tools.get(name) === 'custom') return { items: [customCall(name, typeof input.input === 'string' ? input.input : JSON.stringify(input))], describe: name };
  return { items: [functionCall(name, input)], describe: name };
}

interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Prompt ~ body length / 4, of which the previous prompt of the session is "cached"; output ~ reply / 4. */
function usageFor(raw: string, items: OutputItem[], cachedBefore: number): Usage {
  const input = estimateTokens(raw);
  const cached = Math.min(cachedBefore, input - 1);
  const output = 8 + estimateTokens(JSON.stringify(items));
  return { input_tokens: input, input_tokens_details: { cached_tokens: Math.max(0, cached) }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function sendResponse(res: ServerResponse, body: ResponsesBody, items: OutputItem[], usage: Usage): void {
  const responseId = id('resp');
  const model = body.model ?? 'scripted';
  const created = Math.floor(Date.now() / 1000);
  const envelope = (status: string, output: OutputItem[], extra: Record<string, unknown> = {}) => ({ id: responseId, object: 'response', created_at: created, status, model, output, ...extra });
  if (body.stream === false) {
    sendJson(res, 200, envelope('completed', items, { usage }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': id('req') });
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  };
  event('response.created', { response: envelope('in_progress', []) });
  items.forEach((item, outputIndex) => {
    if (item.type === 'message') {
      event('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      const text = item.content[0].text;
      for (const delta of chunks(text, 48)) event('response.output_text.delta', { item_id: item.id, output_index: outputIndex, content_index: 0, delta });
    } else {
      event('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress' } });
    }
    event('response.output_item.done', { output_index: outputIndex, item });
  });
  event('response.completed', { response: envelope('completed', items, { usage }) });
  res.end();
}

function chunks(s: string, size: number): string[] {
  const chars = Array.from(s);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length ? out : [''];
}
