/**
 * Proves the scripted Anthropic server against the REAL Claude Code CLI (node_modules/.bin/claude):
 * the CLI really executes the scripted tool calls in a temp git repo.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { gitRepo, removeDir, tempDir } from '../temp';
import {
  claudeTestEnv,
  rulesFromJson,
  rulesToJson,
  startAnthropicServer,
  type AnthropicServer,
  type RequestLogEntry,
  type ScriptRule,
} from './anthropic';

const ROOT = resolve(__dirname, '../..');
const CLAUDE = join(ROOT, 'node_modules/.bin/claude');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;
interface ClaudeRun {
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
  const d = gitRepo(files, 'scripted-model-repo-');
  dirs.push(d);
  return d;
}

/** Runs the real CLI the way the plugin does: prompt on stdin (then closed), cwd = the repo. */
function runClaude(server: AnthropicServer, cwd: string, prompt: string, args: string[] = [], configDir = dir('scripted-model-cfg-')): Promise<ClaudeRun> {
  const started = Date.now();
  const env = { ...process.env, ...claudeTestEnv(server.url, configDir) };
  const child = spawn(
    CLAUDE,
    ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--max-turns', '5', ...args],
    { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin.end(prompt);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const events = stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Event);
      const result = events.find((e) => e.type === 'result');
      const init = events.find((e) => e.type === 'system' && e.subtype === 'init');
      resolveRun({ code, events, result, sessionId: init?.session_id, stderr, ms: Date.now() - started });
    });
  });
}

function ofSession(server: AnthropicServer, session: string | undefined): RequestLogEntry[] {
  return server.mainRequests().filter((r) => r.session === session);
}

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const FEATURE = 'export function feature(): string {\n  return "scripted";\n}\n';

const rules: ScriptRule[] = [
  {
    name: 'write-edit-bash',
    match: 'SCRIPT:feature',
    steps: [
      { write: { path: 'src/feature.ts', content: FEATURE }, say: 'I will add the feature.' },
      { edit: { path: 'README.md', oldString: 'Status: todo', newString: 'Status: done' } },
      // acceptEdits lets file-system commands (mkdir, touch, ...) run; others need approval.
      { bash: 'mkdir -p out && touch out/bash-ran' },
      { text: 'Feature added.' },
    ],
  },
  { name: 'auth-fail', match: 'SCRIPT:401', steps: [{ error: { status: 401 } }] },
  {
    name: 'transient-429',
    match: 'SCRIPT:429',
    steps: [{ error: { status: 429, times: 1, retryAfterSeconds: 0 } }, { write: { path: 'after-retry.txt', content: 'ok\n' } }],
  },
  { name: 'parallel-a', match: /SCRIPT:parallel-a\b/, steps: [{ write: { path: 'a.txt', content: 'A\n' } }, { write: { path: 'a2.txt', content: 'A2\n' } }] },
  { name: 'parallel-b', match: /SCRIPT:parallel-b\b/, steps: [{ write: { path: 'b.txt', content: 'B\n' } }, { write: { path: 'b2.txt', content: 'B2\n' } }] },
];

describe('scripted Anthropic server driving the real claude CLI', () => {
  let server: AnthropicServer;
  beforeAll(async () => {
    server = await startAnthropicServer({ rules, delayMs: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs write, edit and bash steps for real and reports a successful result', async () => {
    const cwd = repo({ 'README.md': '# Demo\n\nStatus: todo\n' });
    const configDir = dir('scripted-model-cfg-');
    const run = await runClaude(server, cwd, 'Please implement it. SCRIPT:feature\n', [], configDir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
    expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('# Demo\n\nStatus: done\n');
    expect(existsSync(join(cwd, 'out/bash-ran'))).toBe(true);

    const result = run.result!;
    expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'Feature added.', session_id: run.sessionId });
    // num_turns counts assistant content blocks (the edit step's Read + Edit count 2), not requests.
    expect(result.num_turns).toBeGreaterThanOrEqual(4);
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(result.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(result.permission_denials).toEqual([]);

    const log = ofSession(server, run.sessionId);
    expect(log.map((r) => [r.rule, r.step, r.reply])).toEqual([
      ['write-edit-bash', 0, 'tool_use Write src/feature.ts'],
      ['write-edit-bash', 1, 'tool_use Edit README.md'],
      ['write-edit-bash', 2, 'tool_use Bash mkdir -p out && touch out/bash-ran'],
      ['write-edit-bash', 3, 'text'],
    ]);
    expect(log.every((r) => r.cwd === cwd && r.status === 200)).toBe(true);
    expect(server.requests.filter((r) => r.kind === 'blocked')).toEqual([]);

    // --resume continues the same session id: the step counter is past the script, so the server
    // answers with a closing text instead of replaying the script (no loop).
    const resumed = await runClaude(server, cwd, 'Anything else? SCRIPT:feature\n', ['--resume', run.sessionId!], configDir);
    expect(resumed.code).toBe(0);
    expect(resumed.result).toMatchObject({ is_error: false, session_id: run.sessionId });
    const after = ofSession(server, run.sessionId);
    expect(after).toHaveLength(5);
    expect(after[4]).toMatchObject({ rule: 'write-edit-bash', step: 4, reply: 'done' });
    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
  }, 60_000);

  it('an error step with status 401 makes the CLI exit 1 with is_error true, without retries', async () => {
    const cwd = repo({ 'a.txt': 'a\n' });
    const run = await runClaude(server, cwd, 'SCRIPT:401');
    expect(run.code).toBe(1);
    // TRAP (see reference README): subtype stays "success" on an API error.
    expect(run.result).toMatchObject({ is_error: true, api_error_status: 401, terminal_reason: 'api_error' });
    expect(ofSession(server, run.sessionId).map((r) => [r.rule, r.step, r.status])).toEqual([['auth-fail', 0, 401]]);
  }, 60_000);

  it('a transient 429 (times: 1) is retried by the CLI and the script goes on', async () => {
    const cwd = repo({ 'a.txt': 'a\n' });
    const run = await runClaude(server, cwd, 'SCRIPT:429');
    expect(run.code).toBe(0);
    expect(run.events.some((e) => e.type === 'system' && e.subtype === 'api_retry' && e.error_status === 429)).toBe(true);
    expect(readFileSync(join(cwd, 'after-retry.txt'), 'utf8')).toBe('ok\n');
    expect(ofSession(server, run.sessionId).map((r) => [r.step, r.status])).toEqual([
      [0, 429],
      [1, 200],
      [2, 200],
    ]);
  }, 60_000);

  it('an unmatched prompt gets a clear text answer, not a hang', async () => {
    const cwd = repo({ 'a.txt': 'a\n' });
    const run = await runClaude(server, cwd, 'no script mentions this prompt');
    expect(run.code).toBe(0);
    expect(run.result?.result).toContain('no rule matched the prompt');
    expect(run.result?.result).toContain('no script mentions this prompt');
    expect(ofSession(server, run.sessionId)).toMatchObject([{ rule: null, step: null, reply: 'no rule matched' }]);
  }, 60_000);

  it('keeps two claude processes running at once apart (per-session step counters)', async () => {
    const repoA = repo({ 'x.txt': 'x\n' });
    const repoB = repo({ 'x.txt': 'x\n' });
    const [a, b] = await Promise.all([runClaude(server, repoA, 'SCRIPT:parallel-a'), runClaude(server, repoB, 'SCRIPT:parallel-b')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(readFileSync(join(repoA, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(repoA, 'a2.txt'), 'utf8')).toBe('A2\n');
    expect(readFileSync(join(repoB, 'b.txt'), 'utf8')).toBe('B\n');
    expect(readFileSync(join(repoB, 'b2.txt'), 'utf8')).toBe('B2\n');
    expect(existsSync(join(repoA, 'b.txt')) || existsSync(join(repoB, 'a.txt'))).toBe(false);
    for (const [run, rule, cwd] of [[a, 'parallel-a', repoA], [b, 'parallel-b', repoB]] as const) {
      const log = ofSession(server, run.sessionId);
      expect(log.map((r) => [r.rule, r.step, r.cwd])).toEqual([
        [rule, 0, cwd],
        [rule, 1, cwd],
        [rule, 2, cwd],
      ]);
    }
  }, 60_000);
});

describe('serve.ts (standalone, for child-process e2e tests and the demo)', () => {
  it('serves rules from JSON (regex match) and appends the request log as JSON lines', async () => {
    const work = dir('scripted-model-serve-');
    const rulesFile = join(work, 'rules.json');
    const logFile = join(work, 'requests.jsonl');
    writeFileSync(rulesFile, JSON.stringify({ rules: rulesToJson([{ name: 'from-json', match: /serve\s+me/i, steps: [{ write: { path: 'served.txt', content: 'served\n' } }] }]) }));
    const child = spawn(TSX, [join(__dirname, 'serve.ts'), rulesFile, '--log', logFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error('serve.ts printed no URL')), 20_000);
        createInterface({ input: child.stdout }).once('line', (line) => {
          clearTimeout(timer);
          resolveUrl(line.trim());
        });
        child.once('exit', (code) => reject(new Error(`serve.ts exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const cwd = repo({ 'a.txt': 'a\n' });
      const run = await runClaude({ url } as AnthropicServer, cwd, 'Please SERVE ME now');
      expect(run.code).toBe(0);
      expect(readFileSync(join(cwd, 'served.txt'), 'utf8')).toBe('served\n');
      const lines = readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RequestLogEntry);
      expect(lines.filter((l) => l.kind === 'main').map((l) => [l.session, l.rule, l.step])).toEqual([
        [run.sessionId, 'from-json', 0],
        [run.sessionId, 'from-json', 1],
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});

describe('scripted Anthropic server over plain HTTP', () => {
  const mainBody = (prompt: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      model: 'claude-test',
      stream: false,
      tools: [{ name: 'Write' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: '<system-reminder>\nCurrent branch: main SCRIPT:x\n</system-reminder>' }, { type: 'text', text: prompt }] },
        { role: 'system', content: '# Environment\n - Primary working directory: /work/somewhere\n' },
      ],
      ...extra,
    });
  const post = (url: string, body: string, session: string): Promise<Response> =>
    fetch(`${url}/v1/messages?beta=true`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-claude-code-session-id': session } });

  it('answers auxiliary requests without advancing any script', async () => {
    const server = await startAnthropicServer({ rules: [{ name: 'x', match: 'SCRIPT:x', steps: [{ text: 'first' }] }] });
    try {
      expect((await fetch(`${server.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
      const count = await fetch(`${server.url}/v1/messages/count_tokens?beta=true`, { method: 'POST', body: mainBody('hi') });
      expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
      const aux = await post(server.url, JSON.stringify({ model: 'claude-haiku', stream: false, messages: [{ role: 'user', content: 'SCRIPT:x title please' }] }), 's1');
      expect(((await aux.json()) as { content: Array<{ text: string }> }).content[0].text).toBe('Scripted session');
      const structured = await post(
        server.url,
        JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } } } } }),
        's1',
      );
      expect(JSON.parse(((await structured.json()) as { content: Array<{ text: string }> }).content[0].text)).toEqual({ title: 'Scripted session' });
      expect(server.requests.map((r) => r.kind)).toEqual(['auxiliary', 'auxiliary', 'auxiliary', 'auxiliary']);

      // The system-reminder mentions SCRIPT:x too, but only the prompt itself is matched.
      const unmatched = (await (await post(server.url, mainBody('something else'), 's2')).json()) as { content: Array<{ text: string }> };
      expect(unmatched.content[0].text).toContain('no rule matched');
      const main = (await (await post(server.url, mainBody('do SCRIPT:x'), 's1')).json()) as { content: Array<{ text: string }>; stop_reason: string };
      expect(main).toMatchObject({ content: [{ type: 'text', text: 'first' }], stop_reason: 'end_turn' });
      expect(server.mainRequests().map((r) => [r.session, r.rule, r.step, r.cwd])).toEqual([
        ['s2', null, null, '/work/somewhere'],
        ['s1', 'x', 0, '/work/somewhere'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('streams tool calls as SSE with usage, and counts concurrent main requests', async () => {
    const server = await startAnthropicServer({
      rules: [{ name: 'w', match: 'go', steps: [{ write: { path: 'rel/f.txt', content: 'ü'.repeat(100) } }] }],
      delayMs: 150,
    });
    try {
      const t0 = Date.now();
      const replies = await Promise.all(['s1', 's2', 's3'].map((s) => post(server.url, mainBody('go', { stream: true }), s).then((r) => r.text())));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(server.maxConcurrent).toBe(3);
      expect(server.maxConcurrentSessions).toBe(3);
      const events = replies[0]
        .split('\n\n')
        .filter(Boolean)
        .map((chunk) => JSON.parse(chunk.split('\n')[1].slice('data: '.length)) as Event);
      expect(events.map((e) => e.type)).toEqual([
        'message_start',
        'ping',
        'content_block_start',
        ...Array(events.length - 6).fill('content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(events[2].content_block).toMatchObject({ type: 'tool_use', name: 'Write' });
      const input = JSON.parse(events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.partial_json).join(''));
      expect(input).toEqual({ file_path: '/work/somewhere/rel/f.txt', content: 'ü'.repeat(100) });
      expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
      expect(events.at(-2)!.usage.output_tokens).toBeGreaterThan(0);
      expect(events[0].message.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('a hang step answers nothing to the first `sessions` sessions and is skipped by later ones', async () => {
    const server = await startAnthropicServer({ rules: [{ name: 'h', match: 'go', steps: [{ hang: { sessions: 1 } }, { text: 'after the hang' }] }] });
    try {
      const hung = post(server.url, mainBody('go'), 's1').then(
        () => 'answered',
        () => 'aborted',
      );
      const second = (await (await post(server.url, mainBody('go'), 's2')).json()) as { content: Array<{ text: string }> };
      expect(second.content[0].text).toBe('after the hang');
      expect(await Promise.race([hung, new Promise((r) => setTimeout(() => r('still waiting'), 300))])).toBe('still waiting');
      expect(server.mainRequests().map((r) => [r.session, r.step, r.reply])).toEqual([
        ['s1', 0, 'hang'],
        ['s2', 1, 'text'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('loads rules from JSON and rejects malformed ones', () => {
    const [rule] = rulesFromJson([{ name: 'r', match: { regex: '^batch (\\w+)', flags: 'm' }, steps: [{ text: 'x' }] }]);
    expect(rule.match).toEqual(/^batch (\w+)/m);
    expect(rulesToJson([rule])).toEqual([{ name: 'r', match: { regex: '^batch (\\w+)', flags: 'm' }, steps: [{ text: 'x' }] }]);
    expect(() => rulesFromJson({ rules: [{ name: 'r', match: 'x', steps: [{ nope: 1 }] }] })).toThrow(/exactly one of/);
    expect(() => rulesFromJson({ rules: [{ name: 'r', match: 3, steps: [] }] })).toThrow(/match must be/);
  });
});
