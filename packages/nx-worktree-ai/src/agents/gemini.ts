import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unsupportedLimits } from './argv';
import { AGENT_FILES_DIR } from './names';
import { classifyInterrupted, classifyOutcome, crashed, maxTurns, notLoggedIn, reasonFromText, statusInText, type AgentFacts } from './failures';
import { stderrSummary } from './format';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { GeminiOptions } from './options';
import { genericToolDetail } from './tool-detail';
import type { AgentAdapter, AgentEvent, AgentFailure, AgentInvocation, AgentOutcome, AgentResult, AgentRunRequest, LineParser } from './types';
import { isRecord, str, num, type Json } from './json';

export const GEMINI_FACTS: AgentFacts = {
  agent: 'gemini',
  credential: 'GEMINI_API_KEY (or run `gemini` once and log in with Google)',
  writeTools: new Set(['write_file', 'replace']),
  permissionAdvice: 'gemini refused its edit tools: leave `gemini: { approvalMode }` unset (auto_edit, the default)',
};

/** gemini's documented exit codes (reference README). */
export const GEMINI_EXIT = { auth: 41, input: 42, sandbox: 44, config: 52, turnLimit: 53, toolError: 54, untrusted: 55, cancelled: 130 } as const;

/**
 * Where the adapter keeps gemini files of its own: beside the prompt file, in the folder of the
 * worktrees (outside the workspace). Their names hash their content, so they are shared by the runs
 * that need the same ones, written once, never removed while a run may use them, and bounded.
 */
export function geminiFilesDir(request: Pick<AgentRunRequest, 'promptFile'>): string {
  return join(dirname(request.promptFile), AGENT_FILES_DIR, 'gemini');
}

/**
 * `gemini -o stream-json --approval-mode auto_edit --skip-trust --policy <git deny rules> [--sandbox] [-m MODEL]
 * [--session-file FILE | -r SESSION] <agentArgs>`, the prompt on stdin (stdin that is not a terminal makes gemini headless,
 * like -p, without -p's argv size limit; it is taken verbatim). auto_edit approves edit tools only
 * (headless gemini then offers no shell tool); --skip-trust, or gemini forces the default approval
 * mode in a folder it does not trust yet (a fresh worktree). gemini has no turn-limit flag: maxTurns
 * becomes settings.json `model.maxSessionTurns` in a settings overlay (see prepareGeminiHome).
 */
export function buildGeminiInvocation(request: AgentRunRequest, env: NodeJS.ProcessEnv = process.env): AgentInvocation {
  const options = request.options as GeminiOptions;
  const approvalMode = options.approvalMode ?? 'auto_edit';
  const filesDir = geminiFilesDir(request);
  const policyFile = writeOnce(join(filesDir, `git-deny-${hash(GEMINI_GIT_DENY_POLICY)}.toml`), GEMINI_GIT_DENY_POLICY);

  const args = ['-o', 'stream-json', '--approval-mode', approvalMode, '--skip-trust', '--policy', policyFile];
  if (options.sandbox) args.push('--sandbox');
  if (request.model) args.push('-m', request.model);
  if (request.resumeSessionId) {
    // -r only finds sessions of the current folder, and every run gets a fresh worktree folder:
    // load the session's own file instead when it can be found (gemini then continues it under a new id).
    const file = findGeminiSessionFile(geminiUserHome(env), request.resumeSessionId);
    args.push(...(file ? ['--session-file', file] : ['-r', request.resumeSessionId]));
  }
  args.push(...request.extraArgs);

  const invocationEnv: Record<string, string> = {};
  const settings = runSettings(request, options);
  if (settings) invocationEnv.GEMINI_CLI_HOME = prepareGeminiHome(filesDir, geminiUserHome(env), settings);

  const warnings = unsupportedLimits('gemini', request, { maxTurns: true, maxBudgetUsd: false });
  if (approvalMode === 'yolo') warnings.push('gemini approves every tool call (yolo), shell commands included; only the git deny list still holds');
  return { bin: 'gemini', args, env: invocationEnv, stdin: request.prompt, warnings };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Writes `file` unless it exists (atomically: a concurrent reader never sees half of it). Returns `file`. */
function writeOnce(file: string, content: string): string {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  const staging = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(staging, content);
  renameSync(staging, file);
  return file;
}

/** settings.json entries of this run (batch `gemini.settings`, then maxTurns), or null when there are none. */
function runSettings(request: AgentRunRequest, options: GeminiOptions): Record<string, unknown> | null {
  let settings: Record<string, unknown> = options.settings ? { ...options.settings } : {};
  if (request.maxTurns !== null) settings = deepMerge(settings, { model: { maxSessionTurns: request.maxTurns } });
  return Object.keys(settings).length ? settings : null;
}

/** The policy file passed with --policy: the shared git deny list as gemini policy rules. */
export const GEMINI_GIT_DENY_POLICY = [
  '# nx-worktree-ai: git commands no agent may run in a batch worktree (agents/git-deny.ts).',
  '[[rule]]',
  'toolName = "run_shell_command"',
  `commandPrefix = [${DENIED_GIT_COMMANDS.map((c) => JSON.stringify(c)).join(', ')}]`,
  'decision = "deny"',
  'priority = 999',
  'denyMessage = "nx-worktree-ai: this git command is not allowed in a batch worktree (it shares refs, config and remotes with the repository); the executor commits the work itself"',
  '',
].join('\n');

/**
 * The file gemini recorded a session in: `<home>/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`
 * whose first line names the session id. The newest when there are several; null when none.
 */
export function findGeminiSessionFile(userHome: string, sessionId: string): string | null {
  const tmp = join(userHome, '.gemini', 'tmp');
  const suffix = `-${sessionId.slice(0, 8)}.jsonl`;
  let best: { file: string; mtime: number } | null = null;
  let projects: string[];
  try {
    projects = readdirSync(tmp);
  } catch {
    return null;
  }
  for (const project of projects) {
    const chats = join(tmp, project, 'chats');
    let names: string[];
    try {
      names = readdirSync(chats);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('session-') || !name.endsWith(suffix)) continue;
      const file = join(chats, name);
      try {
        const first = readFileSync(file, 'utf8').split('\n', 1)[0];
        if ((JSON.parse(first) as { sessionId?: unknown }).sessionId !== sessionId) continue;
        const mtime = statSync(file).mtimeMs;
        if (!best || mtime > best.mtime) best = { file, mtime };
      } catch {
        // unreadable or not a session file
      }
    }
  }
  return best?.file ?? null;
}

/** The home gemini would use: GEMINI_CLI_HOME when set, else the user's home. */
export function geminiUserHome(env: NodeJS.ProcessEnv): string {
  return env.GEMINI_CLI_HOME || homedir();
}

/** Folders of ~/.gemini that gemini writes during a run and that must outlive it. */
const GEMINI_STATE_DIRS = ['tmp', 'history'];

/**
 * A GEMINI_CLI_HOME that is the user's own except for settings.json: `<home>/.gemini` holds a
 * symlink to every entry of `<userHome>/.gemini` (credentials, sessions for resuming, GEMINI.md,
 * policies, ...) and a settings.json that is the user's with `settings` merged over it;
 * `<home>/.agents` links the user's. gemini takes maxSessionTurns only from a settings file, and it
 * skips system settings files unless they and every parent folder are owned by root, so this is how
 * a batch sets it without writing the user's settings. The overlay is made once per user home and
 * merged settings, under `dir`, named by their hash; each run adds links to entries the user's
 * .gemini gained since. Files gemini creates at the top of .gemini (a first projects.json) stay in
 * the overlay. Returns the overlay home.
 */
export function prepareGeminiHome(dir: string, userHome: string, settings: Record<string, unknown>): string {
  const own = join(userHome, '.gemini');
  // Where gemini keeps sessions (tmp/<project>/chats) and shell history: created as gemini itself
  // would on its first run, so what a run records outlives the overlay (resuming needs it).
  for (const kept of GEMINI_STATE_DIRS) mkdirSync(join(own, kept), { recursive: true });
  const merged = `${JSON.stringify(deepMerge(readSettings(join(own, 'settings.json')), settings), null, 2)}\n`;
  const home = join(dir, `home-${hash(`${resolve(userHome)}\0${merged}`)}`);
  if (!existsSync(join(home, '.gemini', 'settings.json'))) {
    // Built aside and renamed into place: concurrent runs never see a half-made overlay.
    const staging = `${home}.${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(join(staging, '.gemini'), { recursive: true });
    writeFileSync(join(staging, '.gemini', 'settings.json'), merged);
    try {
      renameSync(staging, home);
    } catch {
      // another run made it first: use theirs
      rmSync(staging, { recursive: true, force: true });
    }
  }
  for (const name of readdirSync(own)) if (name !== 'settings.json') link(join(own, name), join(home, '.gemini', name));
  const agents = join(userHome, '.agents');
  if (existsSync(agents)) link(agents, join(home, '.agents'));
  return home;
}

/** A symlink to `target` at `path` unless something is there already (another run's link). */
function link(target: string, path: string): void {
  try {
    // Windows: a junction for folders needs no privilege.
    symlinkSync(target, path, process.platform === 'win32' && statSync(target).isDirectory() ? 'junction' : undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A settings.json (JSON with comments, as gemini reads it); {} when absent or unreadable. */
export function readSettings(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  for (const candidate of [text, stripJsonComments(text)]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (isRecord(parsed)) return parsed;
    } catch {
      // try the next form
    }
  }
  return {};
}

/** Removes // and /* *\/ comments and trailing commas outside strings. */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else {
      out += c;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isRecord(value) && isRecord(out[key]) ? deepMerge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

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
  const parse = (line: string): AgentEvent[] => {
    try {
      return parseGeminiLine(line, state);
    } catch {
      return [{ kind: 'unknown', line }];
    }
  };
  return Object.assign(parse, {
    end: (): AgentEvent[] => {
      try {
        return [...flush(state), ...jsonDocumentResult(state)];
      } catch {
        return [];
      }
    },
  });
}

function parseGeminiLine(line: string, state: GeminiState): AgentEvent[] {
  if (line.trim() === '') return [];
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    keepOther(line, state);
    return [{ kind: 'unknown', line }];
  }
  if (!isRecord(event) || typeof event.type !== 'string') {
    keepOther(line, state);
    return [{ kind: 'unknown', line }];
  }
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

/**
 * null = success. Judged by the result event and the exit code (gemini exits 41 without credentials,
 * 53 at the turn limit, the HTTP status mod 256 after an API error: 401 -> 145).
 */
export function classifyGemini(outcome: AgentOutcome): AgentFailure | null {
  const interrupted = classifyInterrupted('gemini', outcome);
  if (interrupted) return interrupted;
  if (outcome.result === null && outcome.exitCode !== 0 && outcome.exitCode !== null) {
    const said = stderrSummary(outcome.stderrTail, 300);
    switch (outcome.exitCode) {
      case GEMINI_EXIT.auth:
        return notLoggedIn(GEMINI_FACTS, said === 'nothing on stderr' ? null : said);
      case GEMINI_EXIT.turnLimit:
        return maxTurns('gemini', said);
      case GEMINI_EXIT.untrusted:
        return crashed(`gemini refused to run in an untrusted folder (exit 55): it runs with --skip-trust; check agentArgs and the folder trust settings (${said})`);
      case GEMINI_EXIT.config:
        return crashed(`gemini rejected its configuration (exit 52): check ~/.gemini/settings.json and the batch's gemini.settings (${said})`);
      case GEMINI_EXIT.sandbox:
        return crashed(`gemini could not start its sandbox (exit 44): set gemini.sandbox to false or install docker/podman (${said})`);
      default:
        break;
    }
  }
  return classifyOutcome(GEMINI_FACTS, outcome);
}

export const geminiAdapter: AgentAdapter = {
  name: 'gemini',
  bin: 'gemini',
  npmPackage: '@google/gemini-cli',
  versionArgs: ['--version'],
  buildInvocation: (request) => buildGeminiInvocation(request),
  createParser: (cwd?: string) => createGeminiParser(cwd ?? null),
  classify: classifyGemini,
};

