import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClaudeParser } from './stream-json';
import { buildCodexInvocation } from './codex';
import { createCodexParser } from './codex-parser';
import { CODEX_CONNECTION_FAILURES, failFast } from './fail-fast';
import { createGeminiParser } from './gemini-parser';
import type { AgentInvocation, AgentRunRequest, LineParser } from './types';

/**
 * Which events stop an agent at once, and what the failure says, over the real transcripts in
 * __fixtures__: the line the stop happens on, and the message (the variable to set, the URL).
 */
const FIXTURES = join(__dirname, '__fixtures__');
const NO_ARGS: AgentInvocation = { bin: 'x', args: [], env: {}, stdin: null };

/** Feeds a fixture line by line; returns the 1-based line of the stop, and the failure. */
function run(file: string, parse: LineParser, watch: ReturnType<typeof failFast>): { line: number | null; message: string | null; kind: string | null } {
  const lines = readFileSync(join(FIXTURES, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const event of parse(lines[i])) watch.check(event);
    if (watch.signal.aborted) return { line: i + 1, message: watch.failure!.message, kind: watch.failure!.kind };
  }
  return { line: null, message: null, kind: null };
}

const request = (options: Record<string, unknown>, extraArgs: string[] = []): AgentRunRequest => ({
  prompt: 'p',
  promptFile: '/tmp/p',
  cwd: '/tmp/wt',
  model: 'fake-model',
  maxTurns: null,
  maxBudgetUsd: null,
  command: null,
  extraArgs,
  options,
  resumeSessionId: null,
});

describe('claude', () => {
  it('stops at the first api_retry of a 401 and names ANTHROPIC_API_KEY', () => {
    const stop = run('claude/stream-401.jsonl', createClaudeParser(), failFast('claude', NO_ARGS, { ANTHROPIC_API_KEY: 'sk-x', ANTHROPIC_AUTH_TOKEN: '' }));
    expect(stop.line).toBe(2);
    expect(stop.kind).toBe('not-logged-in');
    expect(stop.message).toBe(
      "claude's credentials were rejected (HTTP 401: authentication_failed; stopped at claude's first retry instead of waiting for the rest): set a valid ANTHROPIC_API_KEY",
    );
  });

  it('names the auth token variable when that is what claude sends', () => {
    const stop = run('claude/stream-401.jsonl', createClaudeParser(), failFast('claude', NO_ARGS, { ANTHROPIC_AUTH_TOKEN: 'tok-123456' }));
    expect(stop.message).toMatch(/set a valid ANTHROPIC_AUTH_TOKEN$/);
    const both = run('claude/stream-401.jsonl', createClaudeParser(), failFast('claude', NO_ARGS, { ANTHROPIC_AUTH_TOKEN: 'tok-123456', ANTHROPIC_API_KEY: 'sk-123456' }));
    expect(both.message).toMatch(/set a valid ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY \(all of them are set; claude sends each\)$/);
  });

  it('a missing login stops at the result, with the login advice; a success never stops', () => {
    const stop = run('claude/stream-not-logged-in.jsonl', createClaudeParser(), failFast('claude', NO_ARGS, {}));
    expect(stop.message).toBe('claude is not logged in: set ANTHROPIC_API_KEY (or run `claude /login`)');
    for (const file of ['claude/stream-success-write.jsonl', 'claude/stream-500.jsonl', 'claude/stream-permission-denied.jsonl']) {
      expect({ file, stop: run(file, createClaudeParser(), failFast('claude', NO_ARGS, {})).line }).toEqual({ file, stop: null });
    }
  });
});

describe('codex', () => {
  const provider = { model_provider: 'fake', 'model_providers.fake': { name: 'fake', base_url: 'http://127.0.0.1:18091/v1', env_key: 'FAKE_KEY', wire_api: 'responses' } };

  it('stops at the first "Reconnecting" of a 401 and names the env_key of the batch\'s provider', () => {
    const invocation = buildCodexInvocation(request({ config: provider }));
    const stop = run('codex/exec-json-401.jsonl', createCodexParser(), failFast('codex', invocation, {}));
    expect(stop.line).toBe(4);
    expect(stop.message).toMatch(/^codex's credentials were rejected \(HTTP 401: unexpected status 401 Unauthorized: Incorrect API key provided, url: http:\/\/127\.0\.0\.1:18091\/v1\/responses; stopped at codex's first retry/);
    expect(stop.message).toMatch(/: set a valid FAKE_KEY \(the env_key of model provider "fake" in the batch's codex config\)$/);
    expect(stop.message).not.toContain('CODEX_API_KEY');
  });

  it('finds the env_key in agentArgs as well, and falls back to CODEX_API_KEY for codex\'s own provider', () => {
    const viaArgs = buildCodexInvocation(request({}, ['-c', 'model_provider="fake"', '-c', 'model_providers.fake={ base_url = "http://h/v1", env_key = "ARGS_KEY" }']));
    expect(run('codex/scripted-exec-json-401.jsonl', createCodexParser(), failFast('codex', viaArgs, {})).message).toMatch(/set a valid ARGS_KEY \(the env_key/);
    const own = run('codex/scripted-exec-json-401.jsonl', createCodexParser(), failFast('codex', buildCodexInvocation(request({})), {}));
    expect(own.message).toMatch(/set a valid CODEX_API_KEY \(or run `codex login`/);
  });

  it('a 401 codex does not retry stops at turn.failed with the same variable', () => {
    const lines = [
      '{"type":"thread.started","thread_id":"t1"}',
      '{"type":"error","message":"unexpected status 401 Unauthorized: Incorrect API key provided., url: http://127.0.0.1:1/v1/responses"}',
      '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: Incorrect API key provided., url: http://127.0.0.1:1/v1/responses"}}',
    ];
    const watch = failFast('codex', buildCodexInvocation(request({ config: provider })), {});
    const parse = createCodexParser();
    lines.forEach((line) => parse(line).forEach((e) => watch.check(e)));
    expect(watch.failure?.message).toMatch(/^codex's credentials were rejected \(HTTP 401: .*\): set a valid FAKE_KEY /);
  });

  it(`stops a model API it cannot reach after ${CODEX_CONNECTION_FAILURES} connection failures in a row, naming the base URL`, () => {
    const invocation = buildCodexInvocation(request({ config: { ...provider, 'model_providers.fake': { ...provider['model_providers.fake'], base_url: 'http://dead.invalid:9/v1' } } }));
    const stop = run('codex/exec-json-no-network.jsonl', createCodexParser(), failFast('codex', invocation, {}));
    // Lines 3-5: "Reconnecting... 2/5 .. 4/5 (... failed to lookup address information ...)".
    expect(stop.line).toBe(5);
    expect(stop.kind).toBe('api-error');
    expect(stop.message).toMatch(/^codex cannot reach its model API at http:\/\/dead\.invalid:9\/v1 \(model provider "fake"\): 3 connection failures in a row \(stream disconnected/);
    expect(stop.message).toMatch(/check base_url in the batch's codex config/);
    const own = run('codex/exec-json-no-network.jsonl', createCodexParser(), failFast('codex', buildCodexInvocation(request({})), {}));
    expect(own.message).toMatch(/^codex cannot reach its model API at https:\/\/api\.openai\.com\/v1 \(model provider "openai", codex's default\)/);
  });

  it('a 429 retried once, a 5xx and a missing env_key (named by classifyCodex) do not stop it', () => {
    const invocation = buildCodexInvocation(request({ config: provider }));
    for (const file of ['scripted-exec-json-429-retry-after.jsonl', 'scripted-exec-json-500.jsonl', 'exec-json-missing-env-key.jsonl', 'exec-json-success-shell.jsonl']) {
      expect({ file, stop: run(`codex/${file}`, createCodexParser(), failFast('codex', invocation, {})).line }).toEqual({ file, stop: null });
    }
  });
});

describe('gemini', () => {
  it('a 401 (gemini does not retry it) stops at the result, naming GEMINI_API_KEY', () => {
    const stop = run('gemini/stream-401.jsonl', createGeminiParser(null), failFast('gemini', NO_ARGS, {}));
    expect(stop.line).toBe(3);
    expect(stop.message).toMatch(/^gemini's credentials were rejected \(HTTP 401: .*API key not valid.*\): set a valid GEMINI_API_KEY/);
  });
});

it('other agents are never stopped early', () => {
  const stop = run('claude/stream-401.jsonl', createClaudeParser(), failFast('qwen', NO_ARGS, {}));
  expect(stop.line).toBeNull();
});
