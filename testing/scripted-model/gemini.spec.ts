/**
 * Proves the scripted Gemini server against the REAL Gemini CLI (node_modules/.bin/gemini): the CLI
 * really executes the scripted tool calls (write_file, replace, run_shell_command) in a temp git repo.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitRepo, removeDir, tempDir } from '../temp';
import type { RequestLogEntry, ScriptRule } from './anthropic';
import { geminiTestEnv, startGeminiServer, type GeminiTestEnvOptions, type ScriptedServer } from './gemini';

const ROOT = resolve(__dirname, '../..');
const GEMINI = join(ROOT, 'node_modules/.bin/gemini');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;
interface GeminiRun {
  code: number | null;
  events: Event[];
  result: Event | undefined;
  sessionId: string | undefined;
  stderr: string;
  ms: number;
}

const dirs: string[] = [];
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}
function repo(files: Record<string, string>): string {
  const d = gitRepo(files, 'scripted-gemini-repo-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

interface RunOptions {
  args?: string[];
  home?: string;
  approvalMode?: string;
  env?: GeminiTestEnvOptions;
  killAfterMs?: number;
  /** Killed (the whole group) as soon as this holds, polled every 100 ms. */
  killWhen?: () => boolean;
}

/** Runs the real CLI as the adapter does: prompt on stdin, `-o stream-json --approval-mode auto_edit --skip-trust`. */
function runGemini(server: ScriptedServer, cwd: string, prompt: string, opts: RunOptions = {}): Promise<GeminiRun> {
  const started = Date.now();
  const home = opts.home ?? dir('scripted-gemini-home-');
  const args = ['-o', 'stream-json', '--approval-mode', opts.approvalMode ?? 'auto_edit', '--skip-trust', '-m', 'gemini-2.5-pro', ...(opts.args ?? [])];
  // TMPDIR: gemini writes a report file there on every API error (gemini-client-error-*.json).
  const env = { ...process.env, ...geminiTestEnv(server.url, home, opts.env), TMPDIR: dir('scripted-gemini-tmp-') };
  const child = spawn(GEMINI, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.end(prompt);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = () => process.kill(-child.pid!, 'SIGKILL');
  const killer = setTimeout(kill, opts.killAfterMs ?? 60_000);
  const poller = opts.killWhen ? setInterval(() => opts.killWhen!() && kill(), 100) : undefined;
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      clearInterval(poller);
      const events = stdout
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Event);
      resolveRun({ code, events, result: events.find((e) => e.type === 'result'), sessionId: events.find((e) => e.type === 'init')?.session_id, stderr, ms: Date.now() - started });
    });
  });
}

const FEATURE = 'export function feature(): string {\n  return "scripted";\n}\n';

const rules: ScriptRule[] = [
  {
    name: 'write-edit-bash',
    match: 'SCRIPT:feature',
    steps: [
      { write: { path: 'src/feature.ts', content: FEATURE }, say: 'I will add the feature.' },
      { edit: { path: 'README.md', oldString: 'Status: todo', newString: 'Status: done' } },
      { bash: 'mkdir -p out && touch out/bash-ran' },
      { text: 'Feature added.' },
      { write: { path: 'second.txt', content: 'after resume\n' } },
    ],
  },
  { name: 'auth-fail', match: 'SCRIPT:401', steps: [{ error: { status: 401 } }] },
  { name: 'transient-429', match: 'SCRIPT:429', steps: [{ error: { status: 429, times: 1 } }, { write: { path: 'after-retry.txt', content: 'ok\n' } }] },
  { name: 'hang', match: 'SCRIPT:hang', steps: [{ hang: true }] },
];

function conversation(server: ScriptedServer, rule: string): RequestLogEntry[] {
  return server.mainRequests().filter((r) => r.rule === rule);
}

describe('scripted Gemini server driving the real gemini CLI', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startGeminiServer({ rules });
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs write_file, replace and (in yolo mode) run_shell_command for real; --resume continues the script', async () => {
    const cwd = repo({ 'README.md': '# Demo\n\nStatus: todo\n' });
    const home = dir('scripted-gemini-home-');
    const first = await runGemini(server, cwd, 'Please implement it. SCRIPT:feature\n', { home, approvalMode: 'yolo' });
    expect(first.code).toBe(0);
    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
    expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('# Demo\n\nStatus: done\n');
    expect(existsSync(join(cwd, 'out/bash-ran'))).toBe(true);
    expect(first.events.filter((e) => e.type === 'tool_result').map((e) => e.status)).toEqual(['success', 'success', 'success']);
    expect(first.result).toMatchObject({ status: 'success', stats: { tool_calls: 3 } });
    expect(first.result!.stats.cached).toBeGreaterThan(0);
    expect(first.result!.stats.output_tokens).toBeGreaterThan(0);
    const log = conversation(server, 'write-edit-bash');
    expect(log.map((r) => [r.step, r.reply])).toEqual([
      [0, 'functionCall write_file src/feature.ts'],
      [1, 'functionCall replace README.md'],
      [2, 'functionCall run_shell_command mkdir -p out && touch out/bash-ran'],
      [3, 'text'],
    ]);
    expect(log.every((r) => r.cwd === cwd && r.model === 'gemini-2.5-pro')).toBe(true);

    // The history already holds four model turns: the resumed session gets step 4, not step 0.
    const resumed = await runGemini(server, cwd, 'Go on.\n', { home, args: ['-r', first.sessionId!] });
    expect(resumed.code).toBe(0);
    expect(resumed.sessionId).toBe(first.sessionId);
    expect(readFileSync(join(cwd, 'second.txt'), 'utf8')).toBe('after resume\n');
    expect(conversation(server, 'write-edit-bash').slice(4).map((r) => [r.step, r.reply])).toEqual([
      [4, 'functionCall write_file second.txt'],
      [5, 'done'],
    ]);
  }, 90_000);

  it('in auto_edit mode gemini offers no shell tool: the call gets a "not found" result', async () => {
    const cwd = repo({ 'README.md': '# Demo\n\nStatus: todo\n' });
    const run = await runGemini(server, cwd, 'SCRIPT:feature');
    expect(run.code).toBe(0);
    expect(run.events.filter((e) => e.type === 'tool_result').map((e) => e.status)).toEqual(['success', 'success', 'error']);
    expect(existsSync(join(cwd, 'out/bash-ran'))).toBe(false);
  }, 60_000);

  it('401: result status error and exit 145 (401 mod 256), one request', async () => {
    const run = await runGemini(server, repo({ 'a.txt': 'a\n' }), 'SCRIPT:401');
    expect(run.code).toBe(145);
    expect(run.result).toMatchObject({ status: 'error', error: { message: expect.stringContaining('"code":401') } });
    expect(conversation(server, 'auth-fail').map((r) => r.status)).toEqual([401]);
  }, 60_000);

  it('429 once: the CLI retries after its backoff (only stderr says so) and the script goes on', async () => {
    const cwd = repo({ 'a.txt': 'a\n' });
    const run = await runGemini(server, cwd, 'SCRIPT:429');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Attempt 1 failed with status 429');
    expect(readFileSync(join(cwd, 'after-retry.txt'), 'utf8')).toBe('ok\n');
    expect(conversation(server, 'transient-429').map((r) => [r.step, r.status])).toEqual([
      [0, 429],
      [1, 200],
      [2, 200],
    ]);
  }, 60_000);

  it('a hang step never answers: gemini waits until it is killed', async () => {
    let hangingSince = 0;
    const hanging = () => conversation(server, 'hang').length > 0 && (hangingSince ||= Date.now()) < Date.now() - 1000;
    const run = await runGemini(server, repo({ 'a.txt': 'a\n' }), 'SCRIPT:hang', { killWhen: hanging });
    expect(run.code).toBeNull();
    expect(run.result).toBeUndefined();
    expect(conversation(server, 'hang')).toMatchObject([{ step: 0, reply: 'hang' }]);
  }, 60_000);
});

describe('scripted Gemini server over plain HTTP', () => {
  const body = (contents: unknown[], tools = true) =>
    JSON.stringify({ contents, ...(tools ? { tools: [{ functionDeclarations: [{ name: 'write_file' }, { name: 'read_file' }] }] } : {}) });
  const first = { role: 'user', parts: [{ text: '<session_context>\n- **Workspace Directories:**\n  - /work/somewhere\n SCRIPT:x</session_context>' }, { text: 'do SCRIPT:x' }] };
  const post = (url: string, data: string, stream = false) =>
    fetch(`${url}/v1beta/models/gemini-test:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, { method: 'POST', body: data, headers: { 'content-type': 'application/json' } });

  it('derives the step from the model turns in the history; auxiliary calls get JSON when they ask for it', async () => {
    const server = await startGeminiServer({ rules: [{ name: 'x', match: 'do SCRIPT:x', steps: [{ read: 'f.txt' }, { error: { status: 503, times: 1 } }, { text: 'second' }] }] });
    try {
      const one = (await (await post(server.url, body([first]))).json()) as Event;
      expect(one.candidates[0].content.parts).toEqual([{ functionCall: { name: 'read_file', args: { file_path: '/work/somewhere/f.txt' } } }]);
      expect(one.usageMetadata).toMatchObject({ promptTokenCount: expect.any(Number), candidatesTokenCount: expect.any(Number) });
      const history = [first, one.candidates[0].content, { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: {} } }] }];
      expect((await post(server.url, body(history))).status).toBe(503);
      const two = (await (await post(server.url, body(history))).json()) as Event;
      expect(two.candidates[0].content.parts).toEqual([{ text: 'second' }]);
      // The same request again (a retry of it) is answered the same way; an error step is not served twice.
      expect(((await (await post(server.url, body(history))).json()) as Event).candidates[0].content.parts).toEqual([{ text: 'second' }]);

      const aux = (await (
        await post(server.url, JSON.stringify({ contents: [first], generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', required: ['next_speaker'], properties: { next_speaker: { type: 'string', enum: ['user', 'model'] } } } } }))
      ).json()) as Event;
      expect(JSON.parse(aux.candidates[0].content.parts[0].text)).toEqual({ next_speaker: 'user' });
      expect(server.requests.map((r) => [r.kind, r.step, r.status])).toEqual([
        ['main', 0, 200],
        ['main', 1, 503],
        ['main', 2, 200],
        ['main', 2, 200],
        ['auxiliary', null, 200],
      ]);
    } finally {
      await server.close();
    }
  });

  it('streams SSE chunks: text in pieces, then the calls with the finish reason and usage', async () => {
    const server = await startGeminiServer({ rules: [{ name: 'x', match: 'SCRIPT:x', steps: [{ write: { path: 'a.txt', content: 'A' }, say: 'ü'.repeat(100) }] }] });
    try {
      const text = await (await post(server.url, body([first]), true)).text();
      const chunks = text
        .split('\r\n\r\n')
        .filter(Boolean)
        .map((c) => JSON.parse(c.slice('data: '.length)) as Event);
      expect(chunks.slice(0, -1).map((c) => c.candidates[0].content.parts[0].text).join('')).toBe('ü'.repeat(100));
      expect(chunks.at(-1)).toMatchObject({
        candidates: [{ content: { parts: [{ functionCall: { name: 'write_file', args: { file_path: '/work/somewhere/a.txt', content: 'A' } } }] }, finishReason: 'STOP' }],
        usageMetadata: { totalTokenCount: expect.any(Number) },
      });
    } finally {
      await server.close();
    }
  });
});
