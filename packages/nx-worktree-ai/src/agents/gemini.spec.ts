import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { batchFrontmatterSchema } from '../batch/spec';
import { removeDir, tempDir } from '../../../../testing/temp';
import { everyTruncation, flagsOf, helpLists, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import {
  buildGeminiInvocation,
  classifyGemini,
  createGeminiParser,
  findGeminiSessionFile,
  GEMINI_GIT_DENY_POLICY,
  geminiAdapter,
  geminiFilesDir,
  prepareGeminiHome,
  readSettings,
  stripJsonComments,
} from './gemini';
import { DENIED_GIT_COMMANDS } from './git-deny';
import { geminiOptionsSchema } from './options';
import { createProgress } from './progress';
import { getAdapter } from './registry';
import type { AgentEvent, AgentOutcome, AgentResult, AgentRunRequest } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'gemini');
const fixture = (name: string) => join(FIXTURES, name);
const TRANSCRIPTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl'));
const CWD = '/home/dev/project';
const parseFile = (name: string) => parseFixture(() => createGeminiParser(CWD), fixture(name));
const help = readFileSync(fixture('gemini-help.txt'), 'utf8');

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('gemini-spec-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

function request(extra: Partial<AgentRunRequest> = {}): AgentRunRequest {
  const base = dir();
  return {
    prompt: '- write src/auth/login.ts\nThen stop.',
    promptFile: join(base, 'auth--login.prompt.md'),
    cwd: join(base, 'auth--login'),
    model: null,
    maxTurns: null,
    maxBudgetUsd: null,
    command: null,
    extraArgs: [],
    options: {},
    resumeSessionId: null,
    ...extra,
  };
}

function outcome(result: AgentResult | null, exitCode: number | null, extra: Partial<AgentOutcome> = {}): AgentOutcome {
  return { exitCode, signal: null, timedOut: false, result, stderrTail: '', ...extra };
}

function run(name: string, exitCode: number): { events: AgentEvent[]; failure: ReturnType<typeof classifyGemini> } {
  const events = parseFile(name);
  return { events, failure: classifyGemini(outcome(resultOf(events), exitCode)) };
}

describe('buildGeminiInvocation', () => {
  it('runs `gemini -o stream-json --approval-mode auto_edit --skip-trust --policy <git deny>` with the prompt on stdin', () => {
    const req = request();
    const invocation = buildGeminiInvocation(req, {});
    const policy = invocation.args[6];
    expect(invocation.bin).toBe('gemini');
    expect(invocation.args).toEqual(['-o', 'stream-json', '--approval-mode', 'auto_edit', '--skip-trust', '--policy', policy]);
    expect(policy).toMatch(new RegExp(`^${geminiFilesDir(req)}/git-deny-[0-9a-f]{16}\\.toml$`));
    expect(invocation.stdin).toBe(req.prompt);
    expect(invocation.env).toEqual({});
    expect(invocation.warnings).toEqual([]);
    expect(readFileSync(policy, 'utf8')).toBe(GEMINI_GIT_DENY_POLICY);
    // Written once, beside the worktrees (the prompt file's folder), shared by the runs.
    expect(buildGeminiInvocation({ ...req, prompt: 'another' }, {}).args[6]).toBe(policy);
    expect(readdirSync(geminiFilesDir(req))).toEqual([basename(policy)]);
  });

  it('passes model, resume, sandbox and agentArgs, with flags and values that `gemini --help` lists', () => {
    const args = buildGeminiInvocation(
      request({ model: 'gemini-2.5-pro', resumeSessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', extraArgs: ['--debug'], options: { sandbox: true, approvalMode: 'plan' } }),
      { GEMINI_CLI_HOME: dir() },
    ).args;
    expect(args.slice(0, 5)).toEqual(['-o', 'stream-json', '--approval-mode', 'plan', '--skip-trust']);
    expect(args.slice(7)).toEqual(['--sandbox', '-m', 'gemini-2.5-pro', '-r', '3eb9c6f8-52b7-446d-8740-7261cf043b46', '--debug']);
    for (const flag of flagsOf(args)) expect({ flag, listed: helpLists(help, flag) }).toEqual({ flag, listed: true });
    expect(help).toMatch(/--output-format.*\[choices: "text", "json", "stream-json"\]/);
    expect(help).toMatch(/--approval-mode.*\[choices: "default", "auto_edit", "yolo", "plan"\]/);
    expect(args).not.toContain('-p');
  });

  it('resumes from the session file gemini recorded (-r only searches the current folder, and each run has a new worktree)', () => {
    const home = dir();
    const id = '3eb9c6f8-52b7-446d-8740-7261cf043b46';
    const chats = join(home, '.gemini', 'tmp', 'auth--login-1a2b3c', 'chats');
    mkdirSync(chats, { recursive: true });
    const file = join(chats, 'session-2026-11-24T07-10-3eb9c6f8.jsonl');
    writeFileSync(file, `${JSON.stringify({ sessionId: id, projectHash: 'x', kind: 'main' })}\n{"$set":{}}\n`);
    // Same 8-character prefix, another session: not taken.
    writeFileSync(join(chats, 'session-2026-11-24T07-11-3eb9c6f8.jsonl'), `${JSON.stringify({ sessionId: '3eb9c6f8-0000-0000-0000-000000000000' })}\n`);
    expect(findGeminiSessionFile(home, id)).toBe(file);
    const args = buildGeminiInvocation(request({ resumeSessionId: id }), { GEMINI_CLI_HOME: home }).args;
    expect(args.slice(-2)).toEqual(['--session-file', file]);
    expect(help).toMatch(/--session-file\s+Load a session from a JSON file/);
    expect(findGeminiSessionFile(home, 'ffffffff-0000-0000-0000-000000000000')).toBeNull();
    expect(findGeminiSessionFile(join(home, 'nowhere'), id)).toBeNull();
  });

  it('denies the shared git command list in its policy file (deny wins over yolo)', () => {
    expect(GEMINI_GIT_DENY_POLICY).toContain('toolName = "run_shell_command"');
    expect(GEMINI_GIT_DENY_POLICY).toContain('decision = "deny"');
    for (const command of DENIED_GIT_COMMANDS) expect(GEMINI_GIT_DENY_POLICY).toContain(JSON.stringify(command));
  });

  it('warns about yolo and about the budget it cannot enforce; maxTurns it can', () => {
    const invocation = buildGeminiInvocation(request({ maxTurns: 12, maxBudgetUsd: 2, options: { approvalMode: 'yolo' } }), { GEMINI_CLI_HOME: dir() });
    expect(invocation.warnings).toEqual([
      'gemini has no spending limit: maxBudgetUsd 2 is not enforced (the timeout still is)',
      'gemini approves every tool call (yolo), shell commands included; only the git deny list still holds',
    ]);
  });

  it('maxTurns: model.maxSessionTurns in a settings overlay of the user home, which is never written', () => {
    const home = dir();
    mkdirSync(join(home, '.gemini', 'tmp', 'project', 'chats'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), '{\n  // mine\n  "security": { "auth": { "selectedType": "oauth-personal" } },\n  "model": { "name": "x", },\n}\n');
    writeFileSync(join(home, '.gemini', 'oauth_creds.json'), '{"token":"t"}');
    mkdirSync(join(home, '.agents'));
    const before = readFileSync(join(home, '.gemini', 'settings.json'), 'utf8');

    const req = request({ maxTurns: 7, options: { settings: { model: { compressionThreshold: 0.5 }, ui: { hideBanner: true } } } });
    const invocation = buildGeminiInvocation(req, { GEMINI_CLI_HOME: home });
    const overlay = invocation.env.GEMINI_CLI_HOME;
    expect(overlay).toMatch(new RegExp(`^${geminiFilesDir(req)}/home-[0-9a-f]{16}$`));
    expect(JSON.parse(readFileSync(join(overlay, '.gemini', 'settings.json'), 'utf8'))).toEqual({
      security: { auth: { selectedType: 'oauth-personal' } },
      model: { name: 'x', compressionThreshold: 0.5, maxSessionTurns: 7 },
      ui: { hideBanner: true },
    });
    for (const name of ['oauth_creds.json', 'tmp', 'history']) {
      expect({ name, link: lstatSync(join(overlay, '.gemini', name)).isSymbolicLink() }).toEqual({ name, link: true });
      expect(realpathSync(join(overlay, '.gemini', name))).toBe(realpathSync(join(home, '.gemini', name)));
    }
    expect(lstatSync(join(overlay, '.agents')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe(before);

    // Another run with the same settings shares the overlay, and links what the user's home gained.
    writeFileSync(join(home, '.gemini', 'google_accounts.json'), '{}');
    expect(buildGeminiInvocation(request({ promptFile: req.promptFile, maxTurns: 7, options: req.options }), { GEMINI_CLI_HOME: home }).env.GEMINI_CLI_HOME).toBe(overlay);
    expect(lstatSync(join(overlay, '.gemini', 'google_accounts.json')).isSymbolicLink()).toBe(true);
    // Other settings: another overlay.
    const other = buildGeminiInvocation(request({ promptFile: req.promptFile, maxTurns: 8 }), { GEMINI_CLI_HOME: home }).env.GEMINI_CLI_HOME;
    expect(other).not.toBe(overlay);
    expect(readSettings(join(other, '.gemini', 'settings.json'))).toMatchObject({ model: { name: 'x', maxSessionTurns: 8 } });

    // Removing the adapter's folder (rmSync unlinks the symlinks) leaves the user's home alone.
    removeDir(geminiFilesDir(req));
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(home, '.gemini', 'oauth_creds.json'), 'utf8')).toBe('{"token":"t"}');
    expect(existsSync(join(home, '.gemini', 'tmp', 'project', 'chats'))).toBe(true);
  });

  it('runs with the same settings share one overlay', () => {
    const home = dir();
    const files = join(dir(), 'gemini-files');
    const homes = Array.from({ length: 5 }, () => prepareGeminiHome(files, home, { model: { maxSessionTurns: 3 } }));
    expect(new Set(homes).size).toBe(1);
    expect(readdirSync(files)).toEqual([basename(homes[0])]);
  });

  it('a user without ~/.gemini gets one with the folders gemini writes sessions to, nothing else', () => {
    const home = dir();
    prepareGeminiHome(join(dir(), 'gemini-files'), home, { model: { maxSessionTurns: 2 } });
    expect(readdirSync(join(home, '.gemini')).sort()).toEqual(['history', 'tmp']);
  });
});

describe('the gemini section of a batch', () => {
  it('accepts approvalMode, sandbox and settings; refuses the rest', () => {
    expect(geminiOptionsSchema.parse({ approvalMode: 'yolo', sandbox: false, settings: { model: { maxSessionTurns: 3 } } })).toBeTruthy();
    expect(batchFrontmatterSchema.parse({ agent: 'gemini', outputs: ['src/**'], gemini: { approvalMode: 'auto_edit' } }).gemini).toEqual({ approvalMode: 'auto_edit' });
    expect(geminiOptionsSchema.safeParse({ approvalMode: 'auto-edit' }).success).toBe(false);
    expect(geminiOptionsSchema.safeParse({ sandbox: 'docker' }).success).toBe(false);
    expect(geminiOptionsSchema.safeParse({ permissionMode: 'x' }).success).toBe(false);
  });

  it('is registered under its name', () => {
    expect(getAdapter('gemini')).toBe(geminiAdapter);
    expect(geminiAdapter).toMatchObject({ bin: 'gemini', npmPackage: '@google/gemini-cli', versionArgs: ['--version'] });
  });
});

describe('settings files', () => {
  it('reads JSON with comments and trailing commas, as gemini does; {} when absent or broken', () => {
    const d = dir();
    writeFileSync(join(d, 'a.json'), '{ "a": "http://x//y", /* c */ "b": [1, 2,], // tail\n}');
    expect(readSettings(join(d, 'a.json'))).toEqual({ a: 'http://x//y', b: [1, 2] });
    writeFileSync(join(d, 'b.json'), '{ broken');
    expect(readSettings(join(d, 'b.json'))).toEqual({});
    expect(readSettings(join(d, 'missing.json'))).toEqual({});
    expect(stripJsonComments('{"s": "a \\" // b"}')).toBe('{"s": "a \\" // b"}');
  });
});

describe('gemini parser over the real transcripts', () => {
  it.each(TRANSCRIPTS)('%s: never throws, one init and one result, every line accounted for', (name) => {
    const events = parseFile(name);
    expect(events.filter((e) => e.kind === 'init')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'result')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
  });

  it('stream-success-write.jsonl: init, the message, write_file (path relative to the worktree), tokens without cost', () => {
    const { events, failure } = run('stream-success-write.jsonl', 0);
    expect(events).toEqual([
      { kind: 'init', sessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', model: 'auto' },
      { kind: 'message', text: 'I will write the file.' },
      { kind: 'tool-use', id: 'write_file__write_file_1795498631969_0', tool: 'write_file', detail: 'hello.txt' },
      { kind: 'tool-result', id: 'write_file__write_file_1795498631969_0', ok: true, text: null },
      { kind: 'message', text: 'Done: file written.' },
      {
        kind: 'result',
        result: {
          isError: false,
          reason: null,
          message: 'Done: file written.',
          sessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46',
          turns: null,
          tokens: { input: 300, output: 60, cacheRead: 0, cacheWrite: null },
          costUsd: null,
          permissionDenials: [],
          apiErrorStatus: null,
        },
      },
    ]);
    expect(failure).toBeNull();
  });

  it('joins streamed assistant deltas into one message, shown before the next event', () => {
    const parse = createGeminiParser(CWD);
    const delta = (content: string) => JSON.stringify({ type: 'message', role: 'assistant', content, delta: true });
    expect(parse(delta('I will '))).toEqual([]);
    expect(parse(delta('write it.'))).toEqual([]);
    expect(parse(JSON.stringify({ type: 'tool_use', tool_name: 'write_file', tool_id: 't1', parameters: { file_path: `${CWD}/a.ts` } }))).toEqual([
      { kind: 'message', text: 'I will write it.' },
      { kind: 'tool-use', id: 't1', tool: 'write_file', detail: 'a.ts' },
    ]);
    expect(parse(delta('Done'))).toEqual([]);
    expect(parse.end!()).toEqual([{ kind: 'message', text: 'Done' }]);
  });

  it('prints the same progress lines as every adapter', () => {
    const progress = createProgress('auth:login');
    expect(parseFile('scripted-stream-success-tools.jsonl').map(progress).filter(Boolean)).toEqual([
      '[auth:login] start · gemini-2.5-pro · session ec261ae5',
      '[auth:login] › I will write the file.',
      '[auth:login] turn 1 · write_file src/hello.ts',
      '[auth:login] turn 2 · replace README.md',
      '[auth:login] turn 3 · run_shell_command mkdir -p out && touch out/ran',
      '[auth:login] turn 3 · run_shell_command failed: Tool "run_shell_command" not found. Did you mean one of: "update_topic", "grep_search", "replace"?',
      '[auth:login] turn 4 · read_file src/hello.ts',
      '[auth:login] turn 5 · run_shell_command cat does-not-exist.txt',
      '[auth:login] turn 5 · run_shell_command failed: Tool "run_shell_command" not found. Did you mean one of: "update_topic", "grep_search", "replace"?',
      '[auth:login] › Done: file written.',
      expect.stringMatching(/^\[auth:login\] done · 6 turns · [\d,]+ tokens \(\+[\d,]+ cached\)$/),
    ]);
  });

  it('stream-401.jsonl: rejected credentials, the key named', () => {
    const { events, failure } = run('stream-401.jsonl', 145);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'auth', apiErrorStatus: 401, sessionId: '825677ad-0791-4561-9fc9-5d3542e8fea3' });
    expect(failure?.kind).toBe('not-logged-in');
    expect(failure?.message).toMatch(/^gemini's credentials were rejected \(HTTP 401: .*API key not valid.*\): set a valid GEMINI_API_KEY/);
  });

  it('stream-max-turns.jsonl: the turn limit', () => {
    const { events, failure } = run('stream-max-turns.jsonl', 53);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'max_turns', tokens: { input: 100, output: 20, cacheRead: 0 } });
    expect(failure?.kind).toBe('max-turns');
    expect(failure?.message).toMatch(/^gemini hit its turn limit \(Reached max session turns/);
  });

  it('scripted-stream-500.jsonl: an API error with its status and message', () => {
    const { failure } = run('scripted-stream-500.jsonl', 244);
    expect(failure?.kind).toBe('api-error');
    expect(failure?.message).toMatch(/^gemini failed with an API error \(HTTP 500: \[API Error: .*An internal error has occurred/);
  });

  it('scripted-stream-429-retried.jsonl: the CLI retried on its own (stderr only) and succeeded', () => {
    const { events, failure } = run('scripted-stream-429-retried.jsonl', 0);
    expect(failure).toBeNull();
    expect(events.filter((e) => e.kind === 'tool-use')).toEqual([{ kind: 'tool-use', id: expect.any(String), tool: 'write_file', detail: 'a.txt' }]);
  });

  it('scripted-stream-success-tools-yolo.jsonl: shell commands run in yolo mode', () => {
    const { events, failure } = run('scripted-stream-success-tools-yolo.jsonl', 0);
    expect(failure).toBeNull();
    expect(events.filter((e) => e.kind === 'tool-result').map((e) => e.kind === 'tool-result' && e.ok)).toEqual([true, true, true, true, true]);
  });

  it('json-success.json (`-o json`: one document over many lines): read at the end', () => {
    const parse = createGeminiParser(CWD);
    const lines = readFileSync(fixture('json-success.json'), 'utf8').split('\n');
    const during = lines.flatMap((line) => parse(line));
    expect(during.every((e) => e.kind === 'unknown')).toBe(true);
    expect(parse.end!()).toEqual([
      { kind: 'init', sessionId: 'e6af36fe-23d3-4864-a328-8ab60fc6ece4', model: null },
      { kind: 'message', text: 'Done: file written.' },
      {
        kind: 'result',
        result: {
          isError: false,
          reason: null,
          message: 'Done: file written.',
          sessionId: 'e6af36fe-23d3-4864-a328-8ab60fc6ece4',
          turns: null,
          tokens: { input: 200, output: 40, cacheRead: 0, cacheWrite: null },
          costUsd: null,
          permissionDenials: [],
          apiErrorStatus: null,
        },
      },
    ]);
  });
});

describe('gemini failures by exit code (no result event)', () => {
  it('41: not logged in, naming GEMINI_API_KEY', () => {
    const failure = classifyGemini(outcome(null, 41, { stderrTail: 'When using Gemini API, you must specify the GEMINI_API_KEY environment variable.\n' }));
    expect(failure).toEqual({
      kind: 'not-logged-in',
      message: 'gemini is not logged in (When using Gemini API, you must specify the GEMINI_API_KEY environment variable.): set GEMINI_API_KEY (or run `gemini` once and log in with Google)',
    });
  });

  it('53: the turn limit; 55, 52, 44: what to check; a timeout says it was killed', () => {
    expect(classifyGemini(outcome(null, 53))?.kind).toBe('max-turns');
    expect(classifyGemini(outcome(null, 55))?.message).toContain('untrusted folder');
    expect(classifyGemini(outcome(null, 52))?.message).toContain('configuration');
    expect(classifyGemini(outcome(null, 44))?.message).toContain('sandbox');
    expect(classifyGemini(outcome(null, null, { signal: 'SIGTERM', timedOut: true, timeoutMs: 90_000 }))?.message).toMatch(/^gemini was killed after 1m30s/);
    expect(classifyGemini(outcome(null, 0))?.kind).toBe('crashed');
  });
});

describe('gemini parser over malformed input', () => {
  it.each(MALFORMED_LINES)('%s: one unknown event, no crash', (_label, line) => {
    expect(createGeminiParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('unknown event types are kept as unknown and print nothing; wrong field types do not break it', () => {
    const parse = createGeminiParser();
    const line = '{"type":"thought","content":"hmm"}';
    expect(parse(line)).toEqual([{ kind: 'unknown', line }]);
    expect(createProgress('p:b')({ kind: 'unknown', line })).toBeNull();
    expect(parse('{"type":"init","session_id":5}')).toEqual([{ kind: 'init', sessionId: null, model: null }]);
    expect(parse('{"type":"tool_use","parameters":"x"}')).toEqual([{ kind: 'tool-use', id: null, tool: 'tool', detail: null }]);
    expect(parse('{"type":"result","status":"error","stats":null,"error":"x"}')).toMatchObject([{ kind: 'result', result: { isError: true, tokens: { input: null } } }]);
    expect(parse.end!()).toEqual([]);
  });

  it('binary noise and every truncation of every transcript line: no crash', () => {
    const parse = createGeminiParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
    expect(() => parse.end!()).not.toThrow();
    for (const name of TRANSCRIPTS) everyTruncation(() => createGeminiParser(CWD), fixture(name));
  });
});
