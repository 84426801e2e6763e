import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { outcomeOf as outcome, agentResult } from './__fixtures__/request';
import { classifyCodex } from './codex';
import { CODEX_SANDBOX_DENIAL, createCodexParser, shellDetail } from './codex-parser';
import { createProgress } from './progress';
import type { AgentEvent } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'codex');
const fixture = (name: string) => join(FIXTURES, name);
const TRANSCRIPTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl'));
const CWD = '/home/dev/project';
const parseFile = (name: string) => parseFixture(() => createCodexParser(CWD), fixture(name));

function run(name: string, exitCode: number, stderrTail = ''): { events: AgentEvent[]; failure: ReturnType<typeof classifyCodex> } {
  const events = parseFile(name);
  const results = events.filter((e) => e.kind === 'result');
  const result = results.length ? resultOf(events) : null;
  return { events, failure: classifyCodex(outcome(result, exitCode, { stderrTail })) };
}

describe('codex parser over the real transcripts', () => {
  it.each(TRANSCRIPTS)('%s: never throws, one init, every line accounted for', (name) => {
    const parse = createCodexParser(CWD);
    const lines = readFileSync(fixture(name), 'utf8').split('\n');
    const events = lines.flatMap((line) => parse(line));
    expect(events.filter((e) => e.kind === 'init')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.filter((e) => e.kind === 'result').length).toBeLessThanOrEqual(1);
  });

  it('exec-json-success-shell.jsonl: session, the shell command and its result, tokens without cost', () => {
    const { events, failure } = run('exec-json-success-shell.jsonl', 0);
    expect(events).toEqual([
      { kind: 'init', sessionId: '01a20c0b-fb2f-7d41-9803-f97e06da7e03', model: null },
      { kind: 'tool-use', id: 'item_1', tool: 'shell', detail: 'echo written-by-shell > hello.txt' },
      { kind: 'tool-result', id: 'item_1', ok: true, text: null },
      { kind: 'message', text: 'Done: file written.' },
      {
        kind: 'result',
        result: agentResult({ message: 'Done: file written.', sessionId: '01a20c0b-fb2f-7d41-9803-f97e06da7e03', tokens: { input: 180, output: 40, cacheRead: 20, cacheWrite: 0 } }),
      },
    ]);
    expect(failure).toBeNull();
  });

  it('scripted-exec-json-success-tools.jsonl: apply_patch file changes (paths relative to the worktree), shell, a failed command', () => {
    const { events, failure } = run('scripted-exec-json-success-tools.jsonl', 0);
    expect(events.filter((e) => e.kind === 'tool-use' || e.kind === 'tool-result')).toEqual([
      { kind: 'tool-use', id: 'item_1', tool: 'apply_patch', detail: 'add src/hello.ts' },
      { kind: 'tool-result', id: 'item_1', ok: true, text: null },
      { kind: 'tool-use', id: 'item_2', tool: 'apply_patch', detail: 'README.md' },
      { kind: 'tool-result', id: 'item_2', ok: true, text: null },
      { kind: 'tool-use', id: 'item_3', tool: 'shell', detail: 'mkdir -p out && touch out/ran' },
      { kind: 'tool-result', id: 'item_3', ok: true, text: null },
      { kind: 'tool-use', id: 'item_4', tool: 'shell', detail: "cat '/home/dev/project/src/hello.ts'" },
      { kind: 'tool-result', id: 'item_4', ok: true, text: 'export const hello = "world";\n' },
      { kind: 'tool-use', id: 'item_5', tool: 'shell', detail: 'cat does-not-exist.txt' },
      { kind: 'tool-result', id: 'item_5', ok: false, text: 'cat: does-not-exist.txt: No such file or directory\n' },
    ]);
    expect(resultOf(events)).toMatchObject({ isError: false, tokens: { input: 60252 - 49902, output: 422, cacheRead: 49902, cacheWrite: 0 }, costUsd: null, turns: null });
    expect(failure).toBeNull();
  });

  it('prints the same progress lines as every adapter', () => {
    const progress = createProgress('auth:login');
    const lines = parseFile('scripted-exec-json-success-tools.jsonl').map(progress).filter(Boolean);
    expect(lines).toEqual([
      '[auth:login] start · session 01a20c5a',
      '[auth:login] › I will write the file.',
      '[auth:login] turn 1 · apply_patch add src/hello.ts',
      '[auth:login] turn 2 · apply_patch README.md',
      '[auth:login] turn 3 · shell mkdir -p out && touch out/ran',
      "[auth:login] turn 4 · shell cat '/home/dev/project/src/hello.ts'",
      '[auth:login] turn 5 · shell cat does-not-exist.txt',
      '[auth:login] turn 5 · shell failed: cat: does-not-exist.txt: No such file or directory',
      '[auth:login] › Done: file written.',
      '[auth:login] done · 6 turns · 10,772 tokens (+49,902 cached)',
    ]);
  });

  it('exec-json-401.jsonl: five retries, then a failed turn whose message names the credential', () => {
    const { events, failure } = run('exec-json-401.jsonl', 1);
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(5);
    expect(events.find((e) => e.kind === 'retry')).toEqual({
      kind: 'retry',
      attempt: 1,
      status: 401,
      message: 'unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:18091/v1/responses',
    });
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'auth', apiErrorStatus: 401, sessionId: '01a20c0c-5f97-77e2-8461-0d93ad4e6400' });
    expect(failure?.kind).toBe('not-logged-in');
    expect(failure?.message).toMatch(/^codex's credentials were rejected \(HTTP 401: unexpected status 401 Unauthorized.*\): set a valid CODEX_API_KEY/);
  });

  it('exec-json-missing-env-key.jsonl: names the variable the provider reads', () => {
    const { failure } = run('exec-json-missing-env-key.jsonl', 1);
    expect(failure).toEqual({ kind: 'not-logged-in', message: 'codex is not logged in (Missing environment variable: `FAKE_KEY`.): set FAKE_KEY' });
  });

  it('exec-json-no-network.jsonl: reconnect notices are retries, and the timeout that ends it says why', () => {
    const { events } = run('exec-json-no-network.jsonl', 0);
    expect(events.filter((e) => e.kind === 'retry').map((e) => (e.kind === 'retry' ? e.attempt : -1))).toEqual([2, 3, 4, 5, null, null, null, null]);
    expect(events.filter((e) => e.kind === 'result')).toEqual([]);
    const failure = classifyCodex(outcome(null, null, { signal: 'SIGTERM', timedOut: true, timeoutMs: 600_000 }));
    expect(failure?.kind).toBe('timeout');
    expect(failure?.message).toContain('codex was killed after 10m (codex retries forever without network');
  });

  it('exec-json-readonly-sandbox-fail.jsonl: exit 0, but the refused shell write fails the batch', () => {
    const { events, failure } = run('exec-json-readonly-sandbox-fail.jsonl', 0);
    expect(resultOf(events).permissionDenials).toEqual([CODEX_SANDBOX_DENIAL]);
    expect(failure?.kind).toBe('permission-denied');
    expect(failure?.message).toBe(
      'codex was refused writes (read-only sandbox), so the batch did not do its work: codex ran in a read-only sandbox: leave `codex: { sandbox }` unset (workspace-write, the default) or set it to workspace-write',
    );
  });

  it('scripted-exec-json-readonly-apply-patch.jsonl: a refused apply_patch shows only on stderr, and fails the batch too', () => {
    const stderr = readFileSync(fixture('scripted-exec-json-readonly-apply-patch.stderr.txt'), 'utf8');
    const events = parseFile('scripted-exec-json-readonly-apply-patch.jsonl');
    const result = resultOf(events);
    expect(classifyCodex(outcome({ ...result, permissionDenials: [] }, 0, { stderrTail: stderr }))?.kind).toBe('permission-denied');
    expect(classifyCodex(outcome({ ...result, permissionDenials: [] }, 0))).toBeNull();
  });

  it('scripted 429 with retry-after: one retry, then success', () => {
    const { events, failure } = run('scripted-exec-json-429-retry-after.jsonl', 0);
    expect(events.filter((e) => e.kind === 'retry')).toEqual([
      { kind: 'retry', attempt: 1, status: 429, message: expect.stringMatching(/^exceeded retry limit, last status: 429 Too Many Requests, request id: req_\w+$/) },
    ]);
    expect(failure).toBeNull();
  });

  it('scripted 429 without retry-after: not retried by codex, rate limited (the executor retries it)', () => {
    const { events, failure } = run('scripted-exec-json-429-no-retry-after.jsonl', 1);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'rate_limited', apiErrorStatus: 429 });
    expect(failure?.kind).toBe('rate-limited');
    expect(failure?.message).toMatch(/^codex was rate limited \(HTTP 429: exceeded retry limit, last status: 429 Too Many Requests/);
  });

  it('scripted 500: codex hides the status ("high demand"): an API error that says it was a server error', () => {
    const { events, failure } = run('scripted-exec-json-500.jsonl', 1);
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(1);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'api_error', apiErrorStatus: null });
    expect(failure).toEqual({
      kind: 'api-error',
      message:
        'codex failed with an API error (HTTP 5xx: the model API answered with a server error; codex says "We’re currently experiencing high demand, which may cause temporary errors."): usually temporary, run the batch again',
    });
  });

  it('scripted 503: overloaded (the executor retries it)', () => {
    const { failure } = run('scripted-exec-json-503.jsonl', 1);
    expect(failure?.kind).toBe('overloaded');
    expect(failure?.message).toContain('HTTP 503');
  });

  it('scripted 401 against a custom provider: rejected credentials, the key named', () => {
    const { failure } = run('scripted-exec-json-401.jsonl', 1);
    expect(failure?.kind).toBe('not-logged-in');
    expect(failure?.message).toContain('set a valid CODEX_API_KEY');
  });
});

describe('codex parser over malformed input', () => {
  it.each(MALFORMED_LINES)('%s: one unknown event, no crash', (_label, line) => {
    expect(createCodexParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('unknown event types and unknown item types are kept as unknown and print nothing', () => {
    const parse = createCodexParser();
    const lines = ['{"type":"thread.compacted","x":1}', '{"type":"item.completed","item":{"id":"i","type":"hologram"}}', '{"type":"item.started","item":"nope"}'];
    const events = lines.flatMap((l) => parse(l));
    expect(events).toEqual(lines.map((line) => ({ kind: 'unknown', line })));
    const progress = createProgress('p:b');
    expect(events.map(progress)).toEqual([null, null, null]);
  });

  it('fields of the wrong type do not break it', () => {
    const parse = createCodexParser();
    expect(parse('{"type":"thread.started","thread_id":42}')).toEqual([{ kind: 'init', sessionId: null, model: null }]);
    expect(parse('{"type":"item.completed","item":{"type":"command_execution","command":7,"exit_code":"x","status":"completed"}}')).toEqual([
      { kind: 'tool-use', id: null, tool: 'shell', detail: null },
      { kind: 'tool-result', id: null, ok: true, text: null },
    ]);
    expect(parse('{"type":"turn.completed","usage":"lots"}')).toMatchObject([{ kind: 'result', result: { isError: false, tokens: { input: null, output: null } } }]);
    expect(parse('{"type":"turn.failed","error":null}')).toMatchObject([{ kind: 'result', result: { isError: true, message: 'the turn failed' } }]);
  });

  it('binary noise and every truncation of every transcript line: no crash', () => {
    const parse = createCodexParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
    for (const name of TRANSCRIPTS) everyTruncation(() => createCodexParser(CWD), fixture(name));
  });
});

describe('shellDetail', () => {
  it('unwraps the login shell codex runs commands in', () => {
    expect(shellDetail("/bin/bash -lc 'echo hi > a.txt'")).toBe('echo hi > a.txt');
    expect(shellDetail(`/bin/bash -lc "cat 'x y.txt'"`)).toBe("cat 'x y.txt'");
    expect(shellDetail("bash -lc 'echo '\\''quoted'\\'''")).toBe("echo 'quoted'");
    expect(shellDetail('npm test')).toBe('npm test');
    expect(shellDetail(null)).toBeNull();
  });
});
