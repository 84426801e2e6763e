/**
 * A scripted stand-in for the Gemini API (generativelanguage v1beta), for driving the REAL Gemini CLI
 * (`gemini -p`) in tests through GOOGLE_GEMINI_BASE_URL.
 *
 * Point `gemini` at it with `geminiTestEnv(server.url, home)`. A conversation is identified by its
 * first message (the CLI sends no session id); its step is the number of model turns already in the
 * request's history, so `--resume` continues the script instead of replaying it. Each step is a real
 * tool call (write_file, replace, read_file, run_shell_command, any function) or a final text answer,
 * streamed as real SSE. The CLI executes the tool calls itself, so files really change.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { RequestLogEntry, ScriptRule } from './anthropic';
import {
  absolutePath,
  defaultErrorMessage,
  estimateTokens,
  findRule,
  proxySinkEnv,
  sendJson,
  sha256,
  sleep,
  startScriptedServer,
  type ScriptedServer,
  type ToolStep,
  type Tracker,
} from './common';

export type { ScriptedServer };

export interface GeminiServerOptions {
  rules: ScriptRule[];
  /** Delay before each main reply (simulated model latency), default 0. */
  delayMs?: number;
  /** Port on 127.0.0.1, default 0 (any free port). */
  port?: number;
  onLog?: (entry: RequestLogEntry) => void;
}

export interface GeminiTestEnvOptions {
  /**
   * settings.json `general.maxAttempts`: attempts per model request (the CLI's default is 10 with a
   * 5 s backoff that doubles, so a sticky 500 costs minutes). Default 2: one retry.
   */
  maxAttempts?: number;
  /** More settings merged into the test home's settings.json. */
  settings?: Record<string, unknown>;
  apiKey?: string;
  proxySink?: boolean;
}

/**
 * Environment for the real `gemini` CLI. Writes `<home>/.gemini/settings.json` (API-key auth, which
 * a custom GOOGLE_GEMINI_BASE_URL needs; retries; no telemetry or update checks) and points
 * GEMINI_CLI_HOME there, so the user's ~/.gemini is never read or written. Use a fresh `home` per
 * test (sessions for `--resume` are stored there). Merge over process.env.
 */
export function geminiTestEnv(url: string, home: string, options: GeminiTestEnvOptions = {}): Record<string, string> {
  const settings = {
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { maxAttempts: options.maxAttempts ?? 2, disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    ...options.settings,
  };
  mkdirSync(join(home, '.gemini'), { recursive: true });
  writeFileSync(join(home, '.gemini', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  return {
    GEMINI_CLI_HOME: home,
    GEMINI_API_KEY: options.apiKey ?? 'fake',
    GOOGLE_GEMINI_BASE_URL: url,
    // Keep a parent environment from switching the CLI to another auth or endpoint.
    GOOGLE_API_KEY: '',
    GOOGLE_GENAI_USE_VERTEXAI: '',
    GOOGLE_GENAI_USE_GCA: '',
    GOOGLE_CLOUD_PROJECT: '',
    GEMINI_CLI_SYSTEM_SETTINGS_PATH: join(home, 'no-system-settings.json'),
    ...(options.proxySink === false ? {} : proxySinkEnv(url)),
  };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  functionResponse?: unknown;
}

interface Content {
  role?: string;
  parts?: Part[];
}

interface GenerateBody {
  contents?: Content[];
  tools?: Array<{ functionDeclarations?: Array<{ name?: string }> }>;
  generationConfig?: { responseMimeType?: string; responseJsonSchema?: unknown; responseSchema?: unknown };
}

interface Conversation {
  /** Error replies served per step index (a retry of the same request counts). */
  errorsServed: Map<number, number>;
  cachedTokens: number;
}

const ERRORS: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  401: { status: 'UNAUTHENTICATED', message: 'API key not valid. Please pass a valid API key.' },
  403: { status: 'PERMISSION_DENIED', message: 'The caller does not have permission.' },
  404: { status: 'NOT_FOUND', message: 'models/unknown is not found for API version v1beta.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting' },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
};

export async function startGeminiServer(opts: GeminiServerOptions): Promise<ScriptedServer> {
  const delayMs = opts.delayMs ?? 0;
  const conversations = new Map<string, Conversation>();

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string, tracker: Tracker): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    const base = { at: Date.now(), method, path, cwd: null as string | null };
    const route = /^\/v1(?:beta|alpha)?\/models\/([^:/]+):(streamGenerateContent|generateContent|countTokens)$/.exec(pathname);
    const model = route ? decodeURIComponent(route[1]) : null;
    const aux = (status: number, reply: string): RequestLogEntry => ({ ...base, session: null, rule: null, step: null, kind: 'auxiliary', model, status, reply });

    let body: GenerateBody = {};
    try {
      body = raw ? (JSON.parse(raw) as GenerateBody) : {};
    } catch {
      sendError(res, 400, 'scripted-model: body is not JSON');
      tracker.log(aux(400, 'bad json'));
      return;
    }
    if (method !== 'POST' || !route) {
      sendError(res, 404, `scripted-model: no route ${method} ${pathname}`);
      tracker.log(aux(404, 'not found'));
      return;
    }
    const stream = route[2] === 'streamGenerateContent';
    if (route[2] === 'countTokens') {
      sendJson(res, 200, { totalTokens: estimateTokens(raw) });
      tracker.log(aux(200, 'countTokens'));
      return;
    }
    const tools = toolNames(body.tools);
    if (tools.size === 0) {
      // Auxiliary call (routing, next-speaker check, summaries): never touches a script.
      const parts: Part[] = [{ text: auxiliaryText(body) }];
      sendReply(res, stream, model, parts, usageFor(raw, parts, 0));
      tracker.log(aux(200, 'auxiliary text'));
      return;
    }

    // ---- main loop request ----
    const contents = body.contents ?? [];
    const first = contents.find((c) => c.role === 'user') ?? {};
    const sessionId = `conv_${sha256(JSON.stringify(first)).slice(0, 16)}`;
    let conversation = conversations.get(sessionId);
    if (!conversation) {
      conversation = { errorsServed: new Map(), cachedTokens: 0 };
      conversations.set(sessionId, conversation);
    }
    const rule = findRule(opts.rules, promptText(first));
    tracker.sessionActive(sessionId);
    const cwd = findCwd(contents);
    const entry: RequestLogEntry = { ...base, cwd, session: sessionId, rule: rule?.name ?? null, step: null, kind: 'main', model, status: 200, reply: '' };
    tracker.startMain(entry, res);
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    const reply = (parts: Part[], describe: string, final: boolean): void => {
      entry.reply = describe;
      const usage = usageFor(raw, parts, conversation.cachedTokens);
      conversation.cachedTokens = usage.promptTokenCount;
      sendReply(res, stream, model, parts, usage);
      if (final) tracker.sessionEnded(sessionId);
    };
    if (!rule) {
      reply([{ text: `scripted-model: no rule matched the prompt: ${JSON.stringify(promptText(first).slice(0, 300))}` }], 'no rule matched', true);
      return;
    }
    // The step: the one after as many replies as the history holds model turns.
    const modelTurns = contents.filter((c) => c.role === 'model').length;
    let replies = 0;
    for (let index = 0; index < rule.steps.length; index++) {
      const step = rule.steps[index];
      const current = replies === modelTurns;
      if ('error' in step) {
        const served = conversation.errorsServed.get(index) ?? 0;
        if (!current || (step.error.times !== undefined && served >= step.error.times)) continue;
        conversation.errorsServed.set(index, served + 1);
        if (step.error.times === undefined) tracker.sessionEnded(sessionId);
        entry.step = index;
        entry.status = step.error.status;
        entry.reply = `error ${step.error.status}`;
        sendError(res, step.error.status, step.error.message, step.error.type, step.error.retryAfterSeconds);
        return;
      }
      if ('hang' in step) {
        if (!current) continue;
        entry.step = index;
        entry.reply = 'hang';
        return;
      }
      if (!current) {
        replies++;
        continue;
      }
      entry.step = index;
      if ('text' in step) {
        reply([{ text: step.text }], 'text', true);
        return;
      }
      const calls = toolCalls(step, cwd);
      if (typeof calls === 'string') {
        reply([{ text: calls }], 'text (step failed)', true);
        return;
      }
      if (!tools.has(calls.parts[0].functionCall!.name)) {
        // Still called: the CLI answers with its own "tool not found" result, as for a real model.
        calls.describe += ' (not offered by the CLI)';
      }
      reply([...(step.say ? [{ text: step.say }] : []), ...calls.parts], `functionCall ${calls.describe}`, false);
      return;
    }
    entry.step = rule.steps.length;
    reply([{ text: `Done (scripted rule ${rule.name}).` }], 'done', true);
  };

  return startScriptedServer('scripted-model (gemini)', opts, handle);
}

// ---------------------------------------------------------------------------------------------
// Request reading
// ---------------------------------------------------------------------------------------------

function toolNames(tools: GenerateBody['tools']): Set<string> {
  const names = new Set<string>();
  for (const tool of tools ?? []) for (const fn of tool?.functionDeclarations ?? []) if (typeof fn?.name === 'string') names.add(fn.name);
  return names;
}

/** Context the CLI puts in the first message before the prompt itself. */
const CONTEXT_PART = /^\s*<(session_context|system-reminder|context)>/;

/** The prompt: the text parts of the first user message without the context the CLI adds. */
export function promptText(first: Content): string {
  const all = (first.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text!);
  const own = all.filter((t) => !CONTEXT_PART.test(t));
  return (own.length ? own : all).join('\n');
}

/** The agent's cwd: the first of the "Workspace Directories" the CLI lists in its session context. */
function findCwd(contents: Content[]): string | null {
  for (const content of contents) {
    for (const part of content.parts ?? []) {
      const m = typeof part.text === 'string' ? /Workspace Directories:\**\s*\n\s*-\s*(\S[^\n]*)/.exec(part.text) : null;
      if (m) return m[1].trim();
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

function call(name: string, args: Record<string, unknown>): Part {
  return { functionCall: { name, args } };
}

function toolCalls(step: ToolStep, cwd: string | null): { parts: Part[]; describe: string } | string {
  const noCwd = (p: string): string => `scripted-model: cannot resolve ${p}: no "Workspace Directories" found in the request`;
  if ('write' in step) {
    const file = absolutePath(step.write.path, cwd);
    if (!file) return noCwd(step.write.path);
    return { parts: [call('write_file', { file_path: file, content: step.write.content })], describe: `write_file ${step.write.path}` };
  }
  if ('edit' in step) {
    const file = absolutePath(step.edit.path, cwd);
    if (!file) return noCwd(step.edit.path);
    const args: Record<string, unknown> = { file_path: file, instruction: 'Apply the scripted edit.', old_string: step.edit.oldString, new_string: step.edit.newString };
    if (step.edit.replaceAll) args.allow_multiple = true;
    return { parts: [call('replace', args)], describe: `replace ${step.edit.path}` };
  }
  if ('read' in step) {
    const file = absolutePath(step.read, cwd);
    if (!file) return noCwd(step.read);
    return { parts: [call('read_file', { file_path: file })], describe: `read_file ${step.read}` };
  }
  if ('bash' in step) {
    return { parts: [call('run_shell_command', { command: step.bash, description: 'Run the scripted command' })], describe: `run_shell_command ${step.bash.slice(0, 80)}` };
  }
  return { parts: [call(step.tool.name, step.tool.input)], describe: step.tool.name };
}

/** Short answer for auxiliary calls; a minimal JSON instance when the call asks for JSON. */
function auxiliaryText(body: GenerateBody): string {
  const config = body.generationConfig ?? {};
  if (config.responseMimeType === 'application/json') return JSON.stringify(minimalInstance(config.responseJsonSchema ?? config.responseSchema));
  return 'Scripted session';
}

function minimalInstance(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string | string[]; enum?: unknown[]; properties?: Record<string, unknown>; required?: string[] };
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = (Array.isArray(s.type) ? s.type[0] : s.type)?.toLowerCase();
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? Object.keys(s.properties ?? {})) out[key] = minimalInstance(s.properties?.[key]);
      return out;
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    default:
      return 'Scripted session';
  }
}

interface Usage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  cachedContentTokenCount: number;
}

/** Prompt ~ body length / 4, of which the previous prompt of the conversation is "cached"; output ~ reply / 4. */
function usageFor(raw: string, parts: Part[], cachedBefore: number): Usage {
  const prompt = estimateTokens(raw);
  const output = 8 + estimateTokens(JSON.stringify(parts));
  return { promptTokenCount: prompt, candidatesTokenCount: output, totalTokenCount: prompt + output, cachedContentTokenCount: Math.max(0, Math.min(cachedBefore, prompt - 1)) };
}

function sendReply(res: ServerResponse, stream: boolean, model: string | null, parts: Part[], usage: Usage): void {
  const responseId = randomBytes(12).toString('base64url');
  const chunk = (p: Part[], last: boolean): Record<string, unknown> => ({
    candidates: [{ content: { role: 'model', parts: p }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    ...(last ? { usageMetadata: usage } : {}),
    modelVersion: model ?? 'scripted',
    responseId,
  });
  if (!stream) {
    sendJson(res, 200, chunk(parts, true));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // Text first (in pieces, like a real stream), then the function calls with the finish reason.
  const texts = parts.filter((p) => p.text !== undefined);
  const calls = parts.filter((p) => p.functionCall !== undefined);
  const pieces: Part[][] = texts.flatMap((p) => chunks(p.text!, 48).map((text) => [{ text }]));
  if (calls.length) pieces.push(calls);
  if (!pieces.length) pieces.push([{ text: '' }]);
  pieces.forEach((p, i) => res.write(`data: ${JSON.stringify(chunk(p, i === pieces.length - 1))}\r\n\r\n`));
  res.end();
}

function sendError(res: ServerResponse, status: number, message?: string, type?: string, retryAfterSeconds?: number): void {
  const known = ERRORS[status] ?? { status: type ?? 'UNKNOWN', message: defaultErrorMessage(status) };
  const details: unknown[] = [];
  if (retryAfterSeconds !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` });
  sendJson(res, status, { error: { code: status, message: message ?? known.message, status: type ?? known.status, ...(details.length ? { details } : {}) } });
}

function chunks(s: string, size: number): string[] {
  const chars = Array.from(s);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length ? out : [''];
}
