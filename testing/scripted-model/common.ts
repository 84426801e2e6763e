/**
 * What the scripted model servers for Codex (responses.ts) and Gemini (gemini.ts) share: the request
 * log, concurrency counters, the proxy sink, and small helpers. The rule format (ScriptRule, Step)
 * and the log entry type are the Anthropic server's (anthropic.ts), so one script can drive any CLI.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { stepKind, type AnthropicServer, type RequestLogEntry, type ScriptRule, type Step } from './anthropic';

/** Same shape as the Anthropic server: url, request log, concurrency counters, close(). */
export type ScriptedServer = AnthropicServer;

/** A step that makes the model call a tool (everything but text, error and hang). */
export type ToolStep = Exclude<Step, { text: string } | { error: unknown } | { hang: unknown }>;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, raw: string, tracker: Tracker) => Promise<void>;

/** Records requests and counts concurrency, for one server. */
export class Tracker {
  readonly requests: RequestLogEntry[] = [];
  private inFlight = 0;
  private activeSessions = 0;
  maxConcurrent = 0;
  maxConcurrentSessions = 0;
  private readonly active = new Set<string>();

  constructor(private readonly onLog?: (entry: RequestLogEntry) => void) {}

  /** Records an entry; onLog sees it once `settled` resolves (main entries: when the reply is finished). */
  log(entry: RequestLogEntry, settled?: Promise<void>): void {
    this.requests.push(entry);
    if (!this.onLog) return;
    const report = this.onLog;
    if (settled) void settled.then(() => report(entry));
    else report(entry);
  }

  /** A main request arrived: counted in flight until its response closes, then logged. */
  startMain(entry: RequestLogEntry, res: ServerResponse): void {
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    this.log(
      entry,
      new Promise<void>((settle) =>
        res.on('close', () => {
          this.inFlight--;
          if (!entry.reply) entry.reply = 'aborted by client';
          settle();
        }),
      ),
    );
  }

  /** A session is active from its first main request until its final reply (text, sticky error). */
  sessionActive(session: string): void {
    if (this.active.has(session)) return;
    this.active.add(session);
    this.activeSessions++;
    this.maxConcurrentSessions = Math.max(this.maxConcurrentSessions, this.activeSessions);
  }

  sessionEnded(session: string): void {
    if (!this.active.delete(session)) return;
    this.activeSessions--;
  }
}

/** Starts an HTTP server on 127.0.0.1 around `handle`; CONNECT (proxy sink) is refused and logged as blocked. */
export async function startScriptedServer(
  name: string,
  opts: { rules: ScriptRule[]; port?: number; onLog?: (entry: RequestLogEntry) => void; urlPath?: string },
  handle: RequestHandler,
): Promise<ScriptedServer> {
  for (const rule of opts.rules) for (const step of rule.steps) stepKind(step, rule.name);
  const tracker = new Tracker(opts.onLog);
  const sockets = new Set<Socket>();
  let closing = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8'), tracker).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: `${name}: ${String(err)}`, status: 'INTERNAL' } });
        else res.destroy();
      });
    });
  });
  server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    tracker.log({ at: Date.now(), session: null, rule: null, step: null, kind: 'blocked', model: null, method: 'CONNECT', path: req.url ?? '', status: 403, reply: 'blocked', cwd: null });
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error(`${name}: no port`);
  const port = address.port;
  return {
    url: `http://127.0.0.1:${port}${opts.urlPath ?? ''}`,
    port,
    requests: tracker.requests,
    mainRequests: () => tracker.requests.filter((r) => r.kind === 'main'),
    get maxConcurrent() {
      return tracker.maxConcurrent;
    },
    get maxConcurrentSessions() {
      return tracker.maxConcurrentSessions;
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

/** Environment that routes any HTTP(S) traffic but 127.0.0.1 to `url`'s proxy sink (refused, logged as blocked). */
export function proxySinkEnv(url: string): Record<string, string> {
  const proxy = new URL(url).origin;
  const noProxy = '127.0.0.1,localhost,::1';
  return { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy, ALL_PROXY: '', all_proxy: '' };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export function matches(match: string | RegExp, prompt: string): boolean {
  if (typeof match === 'string') return prompt.includes(match);
  match.lastIndex = 0;
  return match.test(prompt);
}

export function findRule(rules: ScriptRule[], prompt: string): ScriptRule | null {
  return rules.find((r) => matches(r.match, prompt)) ?? null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** ~4 characters per token, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `path` resolved against the agent's cwd (absolute paths unchanged); null when relative and cwd is unknown. */
export function absolutePath(path: string, cwd: string | null): string | null {
  if (isAbsolute(path)) return path;
  return cwd ? resolvePath(cwd, path) : null;
}

/** `abs` relative to cwd with posix separators when inside it, else unchanged. */
export function relativePath(abs: string, cwd: string | null): string {
  if (!cwd) return abs;
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs;
}

/** A POSIX shell word: single-quoted, with embedded quotes escaped. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A shell command that writes `content` to `file` exactly (creating folders), without a trailing newline added. */
export function shellWrite(file: string, content: string): string {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  return `mkdir -p ${shellQuote(dir)} && printf '%s' ${shellQuote(content)} > ${shellQuote(file)}`;
}

/** The error message a step gets when the HTTP status says nothing more. */
export function defaultErrorMessage(status: number): string {
  return `scripted-model: scripted error ${status}`;
}

/**
 * The reply for `steps[index]` of an error step with `times`: advances past it once served `times`
 * times. Shared bookkeeping of the servers with a per-session step pointer.
 */
export interface StepPointer {
  step: number;
  errorsServed: number;
}

export function serveError(pointer: StepPointer, times: number | undefined): 'sticky' | 'transient' {
  pointer.errorsServed++;
  if (times === undefined) return 'sticky';
  if (pointer.errorsServed >= times) {
    pointer.step++;
    pointer.errorsServed = 0;
  }
  return 'transient';
}
