/**
 * Proves the scripted Responses server against the REAL Codex CLI (node_modules/.bin/codex): the CLI
 * really executes the scripted tool calls (apply_patch, exec_command) in a temp git repo.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitRepo, removeDir, tempDir } from '../temp';
import type { RequestLogEntry, ScriptRule } from './anthropic';
import { codexConfigArgs, codexProviderConfig, codexTestEnv, startResponsesServer, type CodexProviderOptions, type ScriptedServer } from './responses';

const ROOT = resolve(__dirname, '../..');
const CODEX = join(ROOT, 'node_modules/.bin/codex');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = Record<string, any>;
interface CodexRun {
  code: number | null;
  events: Event[];
  threadId: string | undefined;
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
  const d = gitRepo(files, 'scripted-codex-repo-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

interface RunOptions {
  args?: string[];
  home?: string;
  model?: string;
  provider?: CodexProviderOptions;
  killAfterMs?: number;
}

/** Runs the real CLI as the adapter does: `codex exec --json -s workspace-write ... -`, prompt on stdin. */
function runCodex(server: ScriptedServer, cwd: string, prompt: string, opts: RunOptions = {}): Promise<CodexRun> {
  const started = Date.now();
  const home = opts.home ?? dir('scripted-codex-home-');
  const args = ['exec', '--json', '-s', 'workspace-write', '-m', opts.model ?? 'gpt-5.5', ...codexConfigArgs(codexProviderConfig(server.url, opts.provider ?? { maxRetries: 0 })), ...(opts.args ?? []), '-'];
  // codex refuses to unpack its sandbox helpers when CODEX_HOME lies under TMPDIR (only where
  // bubblewrap is installed): a temp folder of its own that does not hold CODEX_HOME.
  const tmp = dir('scripted-codex-tmp-');
  const child = spawn(CODEX, args, { cwd, env: { ...process.env, ...codexTestEnv(server.url, home), TMPDIR: tmp }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.end(prompt);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The npm bin is a node wrapper around the native binary: stop the whole group.
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), opts.killAfterMs ?? 60_000);
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const events = stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Event);
      resolveRun({ code, events, threadId: events.find((e) => e.type === 'thread.started')?.thread_id, stderr, ms: Date.now() - started });
    });
  });
}

function ofSession(server: ScriptedServer, session: string | undefined): RequestLogEntry[] {
  return server.mainRequests().filter((r) => r.session === session);
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
      { write: { path: 'no-newline.txt', content: 'exact' } },
      { text: 'Feature added.' },
    ],
  },
  { name: 'auth-fail', match: 'SCRIPT:401', steps: [{ error: { status: 401 } }] },
  { name: 'transient-429', match: 'SCRIPT:429', steps: [{ error: { status: 429, times: 1, retryAfterSeconds: 0 } }, { write: { path: 'after-retry.txt', content: 'ok\n' } }] },
  { name: 'down-500', match: 'SCRIPT:500', steps: [{ error: { status: 500 } }] },
  { name: 'hang', match: 'SCRIPT:hang', steps: [{ hang: true }] },
  { name: 'parallel-a', match: /SCRIPT:parallel-a\b/, steps: [{ write: { path: 'a.txt', content: 'A\n' } }] },
  { name: 'parallel-b', match: /SCRIPT:parallel-b\b/, steps: [{ write: { path: 'b.txt', content: 'B\n' } }] },
];

describe('scripted Responses server driving the real codex CLI', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startResponsesServer({ rules });
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs apply_patch (add, update), exec_command and exact-bytes writes for real; resume continues the script', async () => {
    const cwd = repo({ 'README.md': '# Demo\n\nStatus: todo\n' });
    const home = dir('scripted-codex-home-');
    const first = await runCodex(server, cwd, 'Please implement it. SCRIPT:feature\n', { home });
    expect(first.code).toBe(0);
    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
    expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('# Demo\n\nStatus: done\n');
    expect(existsSync(join(cwd, 'out/bash-ran'))).toBe(true);
    expect(readFileSync(join(cwd, 'no-newline.txt'), 'utf8')).toBe('exact');
    expect(first.events.filter((e) => e.type === 'item.completed').map((e) => e.item.type)).toEqual([
      'agent_message',
      'file_change',
      'file_change',
      'command_execution',
      'command_execution',
      'agent_message',
    ]);
    const usage = first.events.find((e) => e.type === 'turn.completed')?.usage;
    expect(usage.input_tokens).toBeGreaterThan(usage.cached_input_tokens);
    expect(usage.cached_input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);

    expect(ofSession(server, first.threadId).map((r) => [r.rule, r.step, r.reply])).toEqual([
      ['write-edit-bash', 0, 'tool_call apply_patch add src/feature.ts'],
      ['write-edit-bash', 1, 'tool_call apply_patch update README.md'],
      ['write-edit-bash', 2, 'tool_call exec_command mkdir -p out && touch out/bash-ran'],
      ['write-edit-bash', 3, 'tool_call exec_command write no-newline.txt'],
      ['write-edit-bash', 4, 'text'],
    ]);
    expect(ofSession(server, first.threadId).every((r) => r.cwd === cwd && r.model === 'gpt-5.5')).toBe(true);

    // exec resume keeps the thread id: the step counter is past the script, no replay.
    const resumed = await runCodex(server, cwd, 'Anything else?\n', { home, args: ['resume', first.threadId!] });
    expect(resumed.code).toBe(0);
    expect(resumed.threadId).toBe(first.threadId);
    expect(ofSession(server, first.threadId).at(-1)).toMatchObject({ step: 5, reply: 'done' });
    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
  }, 90_000);

  it('writes with exec_command when the model has no apply_patch tool (unknown model names)', async () => {
    const cwd = repo({ 'README.md': '# Demo\n\nStatus: todo\n' });
    const run = await runCodex(server, cwd, 'SCRIPT:feature', { model: 'scripted-model' });
    expect(run.code).toBe(0);
    expect(readFileSync(join(cwd, 'src/feature.ts'), 'utf8')).toBe(FEATURE);
    expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('# Demo\n\nStatus: done\n');
    expect(ofSession(server, run.threadId).map((r) => r.reply)).toEqual([
      'tool_call exec_command write src/feature.ts',
      'tool_call exec_command edit README.md',
      'tool_call exec_command mkdir -p out && touch out/bash-ran',
      'tool_call exec_command write no-newline.txt',
      'text',
    ]);
  }, 60_000);

  it('401: codex fails the turn (exit 1), with the retries the provider allows', async () => {
    const run = await runCodex(server, repo({ 'a.txt': 'a\n' }), 'SCRIPT:401', { provider: { maxRetries: 1 } });
    expect(run.code).toBe(1);
    expect(run.events.at(-1)).toMatchObject({ type: 'turn.failed', error: { message: expect.stringContaining('401 Unauthorized') } });
    expect(ofSession(server, run.threadId).map((r) => r.status)).toEqual([401, 401]);
  }, 60_000);

  it('429 once (with retry-after, which codex needs to retry at all): retried, then the script goes on', async () => {
    const cwd = repo({ 'a.txt': 'a\n' });
    const run = await runCodex(server, cwd, 'SCRIPT:429', { provider: { maxRetries: 1 } });
    expect(run.code).toBe(0);
    expect(run.events.some((e) => e.type === 'error' && /^Reconnecting\.\.\. 1\/1 .*429/.test(e.message))).toBe(true);
    expect(readFileSync(join(cwd, 'after-retry.txt'), 'utf8')).toBe('ok\n');
    expect(ofSession(server, run.threadId).map((r) => [r.step, r.status])).toEqual([
      [0, 429],
      [1, 200],
      [2, 200],
    ]);
  }, 60_000);

  it('500: codex words it "high demand" and exits 1', async () => {
    const run = await runCodex(server, repo({ 'a.txt': 'a\n' }), 'SCRIPT:500');
    expect(run.code).toBe(1);
    expect(run.events.at(-1)).toMatchObject({ type: 'turn.failed', error: { message: expect.stringContaining('high demand') } });
  }, 60_000);

  it('a hang step never answers: codex waits until it is killed', async () => {
    const run = await runCodex(server, repo({ 'a.txt': 'a\n' }), 'SCRIPT:hang', { killAfterMs: 3000 });
    expect(run.code).toBeNull();
    expect(run.ms).toBeGreaterThanOrEqual(2900);
    expect(ofSession(server, run.threadId)).toMatchObject([{ rule: 'hang', step: 0, reply: 'hang' }]);
  }, 60_000);

  it('keeps two codex processes running at once apart (per-thread step counters)', async () => {
    const [repoA, repoB] = [repo({ 'x.txt': 'x\n' }), repo({ 'x.txt': 'x\n' })];
    const [a, b] = await Promise.all([runCodex(server, repoA, 'SCRIPT:parallel-a'), runCodex(server, repoB, 'SCRIPT:parallel-b')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.threadId).not.toBe(b.threadId);
    expect(readFileSync(join(repoA, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(repoB, 'b.txt'), 'utf8')).toBe('B\n');
    expect(existsSync(join(repoA, 'b.txt')) || existsSync(join(repoB, 'a.txt'))).toBe(false);
    expect(server.requests.filter((r) => r.kind === 'main' && r.session !== a.threadId && r.session !== b.threadId && r.rule?.startsWith('parallel'))).toEqual([]);
  }, 60_000);
});

describe('scripted Responses server over plain HTTP', () => {
  const body = (prompt: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      model: 'm',
      stream: false,
      tools: [{ type: 'function', name: 'exec_command' }],
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/work/somewhere</cwd>\n SCRIPT:x</environment_context>' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
      ],
      ...extra,
    });
  const post = (url: string, data: string, session: string) => fetch(`${url}/responses`, { method: 'POST', body: data, headers: { 'content-type': 'application/json', 'session-id': session } });

  it('matches the prompt without the environment context, answers auxiliary requests without touching a script', async () => {
    const server = await startResponsesServer({ rules: [{ name: 'x', match: 'SCRIPT:x', steps: [{ read: 'f.txt' }, { text: 'first' }] }] });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const aux = (await (await fetch(`${server.url}/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: false, input: [] }) })).json()) as Event;
      expect(aux.output[0].content[0].text).toBe('Scripted session');
      expect((await fetch(`${server.url}/models`)).status).toBe(200);
      const unmatched = (await (await post(server.url, body('something else'), 's2')).json()) as Event;
      expect(unmatched.output[0].content[0].text).toContain('no rule matched');
      const main = (await (await post(server.url, body('do SCRIPT:x'), 's1')).json()) as Event;
      expect(main.output).toMatchObject([{ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: "cat '/work/somewhere/f.txt'" }) }]);
      expect(main.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), input_tokens_details: { cached_tokens: 0 } });
      expect(server.requests.map((r) => [r.kind, r.session, r.rule, r.step, r.cwd])).toEqual([
        ['auxiliary', null, null, null, null],
        ['auxiliary', null, null, null, null],
        ['main', 's2', null, null, '/work/somewhere'],
        ['main', 's1', 'x', 0, '/work/somewhere'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('streams items as SSE and ends with response.completed carrying the usage', async () => {
    const server = await startResponsesServer({ rules: [{ name: 'x', match: 'go', steps: [{ text: 'ü'.repeat(100) }] }] });
    try {
      const text = await (await post(server.url, body('go', { stream: true }), 's')).text();
      const events = text
        .split('\n\n')
        .filter(Boolean)
        .map((chunk) => JSON.parse(chunk.split('\n')[1].slice('data: '.length)) as Event);
      expect(events[0].type).toBe('response.created');
      expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed', usage: { output_tokens: expect.any(Number) } } });
      const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta as string);
      expect(deltas.join('')).toBe('ü'.repeat(100));
      expect(events.find((e) => e.type === 'response.output_item.done')?.item).toMatchObject({ type: 'message', role: 'assistant' });
    } finally {
      await server.close();
    }
  });
});
