/**
 * A scripted stand-in for the Anthropic Messages API, for driving the REAL Claude Code CLI in tests.
 *
 * Point `claude` at it with `claudeTestEnv(server.url, configDir)`. Every main-loop request of a
 * session gets the next step of the rule its prompt matched: a real tool call (Write, Edit, Bash,
 * Read, any tool) or a final text answer, streamed as real SSE. The CLI executes the tool calls
 * itself, so files really change. See README.md in this folder for what the CLI sends.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isAbsolute, resolve as resolvePath } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Script format
// ---------------------------------------------------------------------------------------------

/** Text shown as a short assistant text block before a tool call (optional, like a real model). */
interface Say {
  say?: string;
}

export type Step =
  /** Write tool call; `path` relative to the agent's cwd (or absolute). Preceded by a Read of the
   *  same file in the same reply when the file already exists (the CLI refuses to overwrite an
   *  unread file). */
  | ({ write: { path: string; content: string } } & Say)
  /** Edit tool call, always preceded by a Read of the file in the same reply (the CLI refuses to
   *  edit a file that was not read in the conversation). */
  | ({ edit: { path: string; oldString: string; newString: string; replaceAll?: boolean } } & Say)
  /** Read tool call. */
  | ({ read: string } & Say)
  /** Bash tool call. */
  | ({ bash: string } & Say)
  /** Any other tool call, input passed through as is. */
  | ({ tool: { name: string; input: Record<string, unknown> } } & Say)
  /** Final text answer, stop_reason end_turn. */
  | { text: string }
  /**
   * HTTP error reply. `times`: how many main requests of the session get this error before the
   * script moves on to the next step; default: every request from here on (the model is "down",
   * so the CLI's own retries fail too). Use `times: 1` for a transient failure the CLI retries.
   * `retryAfterSeconds` sets the retry-after header. `shouldRetry` sets the x-should-retry header,
   * which the CLI obeys; default: false for statuses other than 408/409/429/5xx, because Claude Code
   * 2.1.330 otherwise retries even a 401 ten times with backoff (about 3 minutes), and no header
   * for the retryable ones (a sticky 5xx/429 then costs those 3 minutes too: set shouldRetry:false
   * or claudeTestEnv's maxRetries for a fast "model is down" test).
   */
  | { error: { status: number; type?: string; message?: string; times?: number; retryAfterSeconds?: number; shouldRetry?: boolean } }
  /**
   * The model hangs: the request gets no answer at all (headers included) until the client gives
   * up or the server closes. The script does not move on. `true`: every session of the rule hangs;
   * `{ sessions: n }`: only the first n sessions that reach this step hang, later ones go straight
   * past it ("the first run times out, the next one works"). Pair it with a timeout on the CLI.
   */
  | { hang: true | { sessions?: number } };

export interface ScriptRule {
  name: string;
  /** Substring (case-sensitive) or RegExp, tested against the prompt: the text of the first user
   *  message without the `<system-reminder>` blocks the CLI adds to it. */
  match: string | RegExp;
  steps: Step[];
}

export interface AnthropicServerOptions {
  rules: ScriptRule[];
  /** Delay before each main-loop reply (simulated model latency), default 0. */
  delayMs?: number;
  /** Port on 127.0.0.1, default 0 (any free port). */
  port?: number;
  /** Called for every log entry as it is recorded (serve.ts appends them to a file). */
  onLog?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  /** Date.now() when the request arrived. */
  at: number;
  /** `x-claude-code-session-id` header (or the session id in metadata.user_id). */
  session: string | null;
  /** Name of the rule the session runs, null for auxiliary requests and unmatched prompts. */
  rule: string | null;
  /** 0-based index of the step served; `steps.length` for the closing text after the script;
   *  null for auxiliary requests and unmatched prompts. */
  step: number | null;
  /** main: a Messages request carrying a tools array (the agent loop). auxiliary: anything else
   *  to the API (HEAD /api/hello, count_tokens, title/summary calls without tools, ...).
   *  blocked: an attempt to tunnel (CONNECT) to another host through the proxy sink that
   *  claudeTestEnv sets up; should never happen. */
  kind: 'main' | 'auxiliary' | 'blocked';
  model: string | null;
  method: string;
  /** Request path (with query), or the CONNECT target for `blocked`. */
  path: string;
  /** HTTP status answered. */
  status: number;
  /** What was answered, e.g. "tool_use Write src/a.ts", "text", "error 401", "done", "no rule matched". */
  reply: string;
  /** Agent working directory found in the request (main requests only). */
  cwd: string | null;
  /** The text of the request's latest user message with text in it (main requests of the
   *  Anthropic and Responses servers): the prompt of a `--resume`d run, on its first request. */
  lastPrompt?: string | null;
}

export interface AnthropicServer {
  /** http://127.0.0.1:PORT (no trailing slash): the ANTHROPIC_BASE_URL. */
  url: string;
  port: number;
  /** Every request, in arrival order (live array). */
  requests: RequestLogEntry[];
  mainRequests(): RequestLogEntry[];
  /** Highest number of main-loop HTTP requests in flight at the same time (arrival until the
   *  reply is finished, including delayMs). Measures overlap of model calls, so use a delayMs
   *  large enough for concurrent sessions to overlap. */
  readonly maxConcurrent: number;
  /** Highest number of sessions active at once; a session is active from the arrival of its first
   *  main request until the server sent it a final reply (text end_turn or a sticky error). A
   *  session cut short by --max-turns never gets one and stays counted. */
  readonly maxConcurrentSessions: number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Rules from JSON
// ---------------------------------------------------------------------------------------------

/** JSON form of a rule: `match` is a string (substring) or `{ "regex": "...", "flags": "i" }`. */
export interface JsonScriptRule {
  name: string;
  match: string | { regex: string; flags?: string };
  steps: Step[];
}

/** Rules from parsed JSON: an array of rules or `{ "rules": [...] }`. Throws on a malformed rule. */
export function rulesFromJson(value: unknown): ScriptRule[] {
  const list = Array.isArray(value) ? value : (value as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw new Error('scripted-model: rules JSON must be an array or { "rules": [...] }');
  return list.map((raw, i) => {
    const r = raw as Partial<JsonScriptRule>;
    if (!r || typeof r.name !== 'string') throw new Error(`scripted-model: rule #${i} has no name`);
    if (!Array.isArray(r.steps)) throw new Error(`scripted-model: rule ${r.name} has no steps array`);
    let match: string | RegExp;
    if (typeof r.match === 'string') match = r.match;
    else if (r.match && typeof r.match === 'object' && typeof r.match.regex === 'string') match = new RegExp(r.match.regex, r.match.flags);
    else throw new Error(`scripted-model: rule ${r.name}: match must be a string or { "regex": "..." }`);
    for (const step of r.steps) stepKind(step, r.name);
    return { name: r.name, match, steps: r.steps };
  });
}

/** Rules from a JSON file (see rulesFromJson). */
export function loadRulesFile(file: string): ScriptRule[] {
  return rulesFromJson(JSON.parse(readFileSync(file, 'utf8')));
}

/** The JSON form of rules (RegExp -> { regex, flags }), for writing a rules file for serve.ts. */
export function rulesToJson(rules: ScriptRule[]): JsonScriptRule[] {
  return rules.map((r) => ({
    name: r.name,
    match: typeof r.match === 'string' ? r.match : { regex: r.match.source, flags: r.match.flags },
    steps: r.steps,
  }));
}

const STEP_KINDS = ['write', 'edit', 'read', 'bash', 'tool', 'text', 'error', 'hang'] as const;
type StepKind = (typeof STEP_KINDS)[number];

export function stepKind(step: Step, rule: string): StepKind {
  const kinds = STEP_KINDS.filter((k) => step && typeof step === 'object' && k in step);
  if (kinds.length !== 1) throw new Error(`scripted-model: rule ${rule}: a step needs exactly one of ${STEP_KINDS.join(', ')}: ${JSON.stringify(step)}`);
  return kinds[0];
}

// ---------------------------------------------------------------------------------------------
// Environment for the real CLI
// ---------------------------------------------------------------------------------------------

export interface ClaudeTestEnvOptions {
  /** Route any other HTTP(S) traffic to the scripted server, which refuses it and logs it as
   *  `blocked` (default true). Belt and braces: with the DISABLE_* variables below the CLI made no
   *  such attempt when measured. Note the Bash tool's child processes inherit the proxy too. */
  proxySink?: boolean;
  /** CLAUDE_CODE_MAX_RETRIES (the CLI retries 5xx/429/connection errors; unset = CLI default 10). */
  maxRetries?: number;
  /** Set IS_SANDBOX=1 so `--permission-mode bypassPermissions` works when the tests run as root
   *  (otherwise the CLI exits 1 at once: "--dangerously-skip-permissions cannot be used with
   *  root/sudo privileges"). Off by default: it hides what a root user would really see. */
  allowRootBypass?: boolean;
}

/**
 * Environment variables that make the real `claude` CLI talk only to the scripted server.
 * Merge over process.env (`{ ...process.env, ...claudeTestEnv(url, dir) }`); `configDir` should be
 * a fresh directory (it receives .claude.json, session transcripts, ...), never ~/.claude.
 */
export function claudeTestEnv(url: string, configDir: string, options: ClaudeTestEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: 'fake',
    // Blank any other credential the parent environment may carry (they would take precedence).
    ANTHROPIC_AUTH_TOKEN: '',
    CLAUDE_CODE_OAUTH_TOKEN: '',
    CLAUDE_CONFIG_DIR: configDir,
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    // Keep a parent environment from switching the CLI to another provider.
    CLAUDE_CODE_USE_BEDROCK: '',
    CLAUDE_CODE_USE_VERTEX: '',
    CLAUDE_CODE_USE_FOUNDRY: '',
  };
  if (options.proxySink !== false) {
    const proxy = url.replace(/\/+$/, '');
    const noProxy = '127.0.0.1,localhost,::1';
    Object.assign(env, { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy });
  }
  if (options.maxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries);
  if (options.allowRootBypass) env.IS_SANDBOX = '1';
  return env;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Session {
  rule: ScriptRule | null;
  step: number;
  /** Replies already served from the error step at `step`. */
  errorsServed: number;
  /** Prompt tokens of the previous main request (what a real API would have cached). */
  cachedTokens: number;
  active: boolean;
}

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  system?: unknown;
  messages?: Array<{ role?: string; content?: unknown }>;
  metadata?: { user_id?: string };
  output_config?: { format?: { type?: string; schema?: unknown } };
}

const RETRYABLE = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export async function startAnthropicServer(opts: AnthropicServerOptions): Promise<AnthropicServer> {
  for (const rule of opts.rules) for (const step of rule.steps) stepKind(step, rule.name);
  const delayMs = opts.delayMs ?? 0;
  const requests: RequestLogEntry[] = [];
  const sessions = new Map<string, Session>();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxConcurrent = 0;
  let activeSessions = 0;
  let maxConcurrentSessions = 0;
  let closing = false;
  /** `<rule>#<step>` -> sessions that hung there. */
  const hangs = new Map<string, number>();

  /** Records an entry; onLog sees it once `settled` resolves (main entries: when the reply is
   *  finished, so step, status and reply are filled in). */
  const log = (entry: RequestLogEntry, settled?: Promise<void>): void => {
    requests.push(entry);
    if (opts.onLog) {
      const report = opts.onLog;
      if (settled) void settled.then(() => report(entry));
      else report(entry);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const at = Date.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    const base = { at, method, path, cwd: null as string | null };
    const aux = (status: number, reply: string, model: string | null = null): RequestLogEntry => ({ ...base, session: sessionHeader(req), rule: null, step: null, kind: 'auxiliary', model, status, reply });

    if (pathname === '/api/hello') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(method === 'HEAD' ? undefined : '{}');
      log(aux(200, 'hello'));
      return;
    }
    let body: MessagesBody = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as MessagesBody;
      } catch {
        sendError(res, 400, 'invalid_request_error', 'scripted-model: body is not JSON');
        log(aux(400, 'bad json'));
        return;
      }
    }
    const model = typeof body.model === 'string' ? body.model : null;
    if (method === 'POST' && pathname === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: estimateTokens(raw) }));
      log(aux(200, 'count_tokens', model));
      return;
    }
    if (method !== 'POST' || pathname !== '/v1/messages') {
      sendError(res, 404, 'not_found_error', `scripted-model: no route ${method} ${pathname}`);
      log(aux(404, 'not found', model));
      return;
    }
    if (!Array.isArray(body.tools) || body.tools.length === 0) {
      // Auxiliary call (no tools): answer briefly, never touching any session's script.
      const content: ContentBlock[] = [{ type: 'text', text: auxiliaryText(body) }];
      const usage = { input_tokens: estimateTokens(raw), cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens(content) };
      sendMessage(res, body, content, 'end_turn', usage);
      log(aux(200, 'auxiliary text', model));
      return;
    }

    // ---- main loop request ----
    const sessionId = sessionHeader(req) ?? sessionFromMetadata(body) ?? '(no session id)';
    let session = sessions.get(sessionId);
    if (!session) {
      const prompt = promptText(body);
      session = { rule: opts.rules.find((r) => matches(r.match, prompt)) ?? null, step: 0, errorsServed: 0, cachedTokens: 0, active: false };
      sessions.set(sessionId, session);
    }
    if (!session.active) {
      // New, or asked again after its final reply (--resume).
      session.active = true;
      activeSessions++;
      maxConcurrentSessions = Math.max(maxConcurrentSessions, activeSessions);
    }
    const cwd = findCwd(body);
    const entry: RequestLogEntry = { ...base, cwd, session: sessionId, rule: session.rule?.name ?? null, step: null, kind: 'main', model, status: 200, reply: '', lastPrompt: lastPromptText(body) };
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    log(
      entry,
      new Promise<void>((settle) =>
        res.on('close', () => {
          inFlight--;
          if (!entry.reply) entry.reply = 'aborted by client';
          settle();
        }),
      ),
    );
    const endSession = (): void => {
      if (session.active) {
        session.active = false;
        activeSessions--;
      }
    };
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    const promptTokens = estimateTokens(raw);
    const usage = (content: ContentBlock[]): Usage => {
      // Like the real API with Claude Code's cache_control: the previous prompt is read from the
      // cache, the rest of the prefix is written to it, the newest message is plain input.
      const fresh = Math.min(promptTokens, 40 + Math.floor(promptTokens / 200));
      const read = Math.min(session.cachedTokens, promptTokens - fresh);
      session.cachedTokens = promptTokens;
      return { input_tokens: fresh, cache_creation_input_tokens: promptTokens - fresh - read, cache_read_input_tokens: read, output_tokens: outputTokens(content) };
    };
    if (!session.rule) {
      const content: ContentBlock[] = [{ type: 'text', text: `scripted-model: no rule matched the prompt: ${JSON.stringify(promptText(body).slice(0, 300))}` }];
      entry.reply = 'no rule matched';
      sendMessage(res, body, content, 'end_turn', usage(content));
      endSession();
      return;
    }
    const steps = session.rule.steps;
    while (session.step < steps.length && 'hang' in steps[session.step]) {
      const key = `${session.rule.name}#${session.step}`;
      const hung = hangs.get(key) ?? 0;
      const hang = (steps[session.step] as { hang: true | { sessions?: number } }).hang;
      if (hung < (hang === true ? Infinity : (hang.sessions ?? Infinity))) {
        hangs.set(key, hung + 1);
        entry.step = session.step;
        entry.reply = 'hang';
        return;
      }
      session.step++;
    }
    const index = session.step;
    entry.step = index;
    if (index >= steps.length) {
      const content: ContentBlock[] = [{ type: 'text', text: `Done (scripted rule ${session.rule.name}).` }];
      entry.reply = 'done';
      sendMessage(res, body, content, 'end_turn', usage(content));
      endSession();
      return;
    }
    const step = steps[index];
    if ('hang' in step) return; // passed over above
    if ('error' in step) {
      const e = step.error;
      session.errorsServed++;
      if (e.times !== undefined && session.errorsServed >= e.times) {
        session.step++;
        session.errorsServed = 0;
      } else if (e.times === undefined) {
        endSession();
      }
      entry.status = e.status;
      entry.reply = `error ${e.status}`;
      const headers: Record<string, string> = {};
      if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
      const shouldRetry = e.shouldRetry ?? (RETRYABLE(e.status) ? undefined : false);
      if (shouldRetry !== undefined) headers['x-should-retry'] = String(shouldRetry);
      sendError(res, e.status, e.type ?? ERROR_TYPES[e.status] ?? 'api_error', e.message ?? `scripted-model: scripted error ${e.status}`, headers);
      return;
    }
    session.step++;
    if ('text' in step) {
      const content: ContentBlock[] = [{ type: 'text', text: step.text }];
      entry.reply = 'text';
      sendMessage(res, body, content, 'end_turn', usage(content));
      // A text step ends the turn; the session is over unless the CLI asks again (--resume).
      endSession();
      return;
    }
    const calls = toolCalls(step, cwd);
    if (typeof calls === 'string') {
      const content: ContentBlock[] = [{ type: 'text', text: calls }];
      entry.reply = 'text (step failed: no cwd)';
      sendMessage(res, body, content, 'end_turn', usage(content));
      endSession();
      return;
    }
    const content: ContentBlock[] = [];
    if (step.say) content.push({ type: 'text', text: step.say });
    content.push(...calls.blocks);
    entry.reply = `tool_use ${calls.describe}`;
    sendMessage(res, body, content, 'tool_use', usage(content));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'api_error', `scripted-model: ${String(err)}`);
        else res.destroy();
      });
    });
  });
  server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Proxy sink: claudeTestEnv points HTTPS_PROXY here, so a tunnel to any other host ends here.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    log({ at: Date.now(), session: null, rule: null, step: null, kind: 'blocked', model: null, method: 'CONNECT', path: req.url ?? '', status: 403, reply: 'blocked', cwd: null });
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('scripted-model: no port');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    mainRequests: () => requests.filter((r) => r.kind === 'main'),
    get maxConcurrent() {
      return maxConcurrent;
    },
    get maxConcurrentSessions() {
      return maxConcurrentSessions;
    },
    close: () => {
      if (closing) return Promise.resolve();
      closing = true;
      return new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Request reading
// ---------------------------------------------------------------------------------------------

function sessionHeader(req: IncomingMessage): string | null {
  const h = req.headers['x-claude-code-session-id'];
  return typeof h === 'string' && h ? h : null;
}

function sessionFromMetadata(body: MessagesBody): string | null {
  try {
    const id = (JSON.parse(body.metadata?.user_id ?? '') as { session_id?: unknown }).session_id;
    return typeof id === 'string' && id ? id : null;
  } catch {
    return null;
  }
}

function texts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((b: { type?: string; text?: unknown }) => (b && b.type === 'text' && typeof b.text === 'string' ? [b.text] : []));
}

/** The prompt: text of the first user message minus the <system-reminder> blocks the CLI adds. */
export function promptText(body: { messages?: Array<{ role?: string; content?: unknown }> }): string {
  const first = body.messages?.find((m) => m.role === 'user');
  if (!first) return '';
  const all = texts(first.content);
  const own = all.filter((t) => !t.trimStart().startsWith('<system-reminder>'));
  return (own.length ? own : all).join('\n');
}

/** The text of the latest user message that has text of its own (not only tool results or <system-reminder> blocks). */
export function lastPromptText(body: { messages?: Array<{ role?: string; content?: unknown }> }): string | null {
  for (const message of [...(body.messages ?? [])].reverse()) {
    if (message.role !== 'user') continue;
    const own = texts(message.content).filter((t) => !t.trimStart().startsWith('<system-reminder>'));
    if (own.length) return own.join('\n');
  }
  return null;
}

/** The agent's cwd, from the "Primary working directory: ..." line of the environment section
 *  (sent as a role:"system" message in messages by 2.1.330; older versions put it in `system`). */
function findCwd(body: MessagesBody): string | null {
  const all = [...texts(body.system), ...(body.messages ?? []).filter((m) => m.role !== 'assistant').flatMap((m) => texts(m.content))];
  for (const t of all) {
    const m = /Primary working directory: ([^\n]+)/.exec(t);
    if (m) return m[1].trim();
  }
  return null;
}

function matches(match: string | RegExp, prompt: string): boolean {
  if (typeof match === 'string') return prompt.includes(match);
  match.lastIndex = 0;
  return match.test(prompt);
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

function toolCalls(step: Exclude<Step, { text: string } | { error: unknown } | { hang: unknown }>, cwd: string | null): { blocks: ContentBlock[]; describe: string } | string {
  const abs = (p: string): string | null => (isAbsolute(p) ? p : cwd ? resolvePath(cwd, p) : null);
  const noCwd = (p: string): string => `scripted-model: cannot resolve ${p}: no "Primary working directory" found in the request`;
  const call = (name: string, input: Record<string, unknown>): ContentBlock => ({ type: 'tool_use', id: toolId(), name, input });
  if ('write' in step) {
    const file = abs(step.write.path);
    if (!file) return noCwd(step.write.path);
    const blocks = existsSync(file) ? [call('Read', { file_path: file })] : [];
    blocks.push(call('Write', { file_path: file, content: step.write.content }));
    return { blocks, describe: `Write ${step.write.path}` };
  }
  if ('edit' in step) {
    const file = abs(step.edit.path);
    if (!file) return noCwd(step.edit.path);
    const input: Record<string, unknown> = { file_path: file, old_string: step.edit.oldString, new_string: step.edit.newString };
    if (step.edit.replaceAll) input.replace_all = true;
    return { blocks: [call('Read', { file_path: file }), call('Edit', input)], describe: `Edit ${step.edit.path}` };
  }
  if ('read' in step) {
    const file = abs(step.read);
    if (!file) return noCwd(step.read);
    return { blocks: [call('Read', { file_path: file })], describe: `Read ${step.read}` };
  }
  if ('bash' in step) {
    return { blocks: [call('Bash', { command: step.bash, description: 'Run scripted command' })], describe: `Bash ${step.bash.slice(0, 80)}` };
  }
  return { blocks: [call(step.tool.name, step.tool.input)], describe: step.tool.name };
}

function toolId(): string {
  return `toolu_${randomBytes(12).toString('hex')}`;
}

/** Short answer for auxiliary calls; a minimal instance when the call asks for JSON output. */
function auxiliaryText(body: MessagesBody): string {
  const format = body.output_config?.format;
  if (format?.type === 'json_schema') return JSON.stringify(minimalInstance(format.schema));
  return 'Scripted session';
}

function minimalInstance(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string | string[]; enum?: unknown[]; const?: unknown; properties?: Record<string, unknown>; required?: string[] };
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = minimalInstance(s.properties?.[key]);
      return out;
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'Scripted session';
  }
}

function estimateTokens(raw: string): number {
  return Math.max(1, Math.ceil(raw.length / 4));
}

function outputTokens(content: ContentBlock[]): number {
  return 8 + Math.ceil(JSON.stringify(content).length / 4);
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(12).toString('hex')}`, ...headers })
    .end(JSON.stringify({ type: 'error', error: { type, message } }));
}

function sendMessage(res: ServerResponse, body: MessagesBody, content: ContentBlock[], stopReason: 'end_turn' | 'tool_use', usage: Usage): void {
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const model = body.model ?? 'claude-scripted';
  const headers = { 'request-id': `req_${randomBytes(12).toString('hex')}` };
  if (!body.stream) {
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage }));
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  event('message_start', {
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  event('ping', {});
  content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const part of chunks(block.text, 48)) event('content_block_delta', { index, delta: { type: 'text_delta', text: part } });
    } else {
      event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const part of chunks(JSON.stringify(block.input), 64)) event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens, output_tokens: usage.output_tokens },
  });
  event('message_stop', {});
  res.end();
}

function chunks(s: string, size: number): string[] {
  if (s.length === 0) return [''];
  const out: string[] = [];
  // Split on code points so no surrogate pair is cut in half.
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
