import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, flagsOf, helpLists, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { runRequest, outcomeOf, agentResult } from './__fixtures__/request';
import { buildOpencodeInvocation, createOpencodeParser, OPENCODE_BASH_DENY, opencodeAdapter, opencodeConfigContent } from './opencode';

const FIXTURES = join(__dirname, '__fixtures__', 'opencode');
const help = readFileSync(join(FIXTURES, 'help-opencode_run_--help.txt'), 'utf8');
const fixture = (name: string) => join(FIXTURES, name);
const parseFile = (name: string) => parseFixture(() => createOpencodeParser('/home/dev/project'), fixture(name));

const request = runRequest({ prompt: 'You are working on "auth"\n- write src/auth/login.ts', model: 'anthropic/claude-sonnet-4-5' });

const outcome = outcomeOf;

describe('buildOpencodeInvocation', () => {
  it('runs `opencode run --format json -m provider/model` with the prompt on stdin, verbatim', () => {
    const invocation = buildOpencodeInvocation(request, {});
    expect(invocation.bin).toBe('opencode');
    expect(invocation.args).toEqual(['run', '--format', 'json', '--model', 'anthropic/claude-sonnet-4-5']);
    expect(invocation.stdin).toBe(request.prompt);
    expect(invocation.warnings).toEqual([]);
  });

  it('uses only flags and values that `opencode run --help` lists', () => {
    const args = buildOpencodeInvocation({ ...request, resumeSessionId: 'ses_df3ec36f6ffef49kbFP6M0ufsC' }, {}).args;
    for (const flag of flagsOf(args)) expect(helpLists(help, flag)).toBe(true);
    expect(help).toMatch(/--format\s+format: default \(formatted\) or json/);
    expect(help).toMatch(/-s, --session\s+session id to continue/);
    expect(args.slice(-2)).toEqual(['--session', 'ses_df3ec36f6ffef49kbFP6M0ufsC']);
  });

  it('never auto-approves (--auto is opt-in through agentArgs) and appends agentArgs last', () => {
    expect(buildOpencodeInvocation(request, {}).args).not.toContain('--auto');
    expect(buildOpencodeInvocation({ ...request, extraArgs: ['--agent', 'build'] }, {}).args.slice(-2)).toEqual(['--agent', 'build']);
  });

  it('asks for provider/model', () => {
    expect(() => buildOpencodeInvocation({ ...request, model: 'sonnet' }, {})).toThrow('opencode needs `model` as provider/model');
    expect(buildOpencodeInvocation({ ...request, model: null }, {}).args).toEqual(['run', '--format', 'json']);
  });

  it('denies the git commands in OPENCODE_CONFIG_CONTENT and turns the autoupdate off', () => {
    const { env } = buildOpencodeInvocation(request, {});
    expect(env.OPENCODE_DISABLE_AUTOUPDATE).toBe('1');
    const config = JSON.parse(env.OPENCODE_CONFIG_CONTENT);
    expect(config.permission.bash['git push*']).toBe('deny');
    expect(config.permission.bash['git reset --hard*']).toBe('deny');
    expect(Object.values(config.permission.bash)).toEqual(Object.values(OPENCODE_BASH_DENY));
  });

  it('keeps the user inline config, with our deny rules last (opencode: the last matching rule wins)', () => {
    const merged = JSON.parse(opencodeConfigContent('{"model":"x/y","permission":{"edit":"allow","bash":{"*":"ask","git push*":"allow","npm *":"allow"}}}'));
    expect(merged.model).toBe('x/y');
    expect(merged.permission.edit).toBe('allow');
    const keys = Object.keys(merged.permission.bash);
    expect(keys.slice(0, 2)).toEqual(['*', 'npm *']);
    expect(keys.slice(2)).toEqual(Object.keys(OPENCODE_BASH_DENY));
    expect(merged.permission.bash['git push*']).toBe('deny');
    expect(JSON.parse(opencodeConfigContent('{"permission":"allow"}')).permission).toEqual({ '*': 'allow', bash: OPENCODE_BASH_DENY });
    expect(JSON.parse(opencodeConfigContent('{"permission":{"bash":"ask"}}')).permission.bash).toEqual({ '*': 'ask', ...OPENCODE_BASH_DENY });
    expect(JSON.parse(opencodeConfigContent('not json')).permission.bash).toEqual(OPENCODE_BASH_DENY);
  });

  it('warns about limits opencode cannot enforce', () => {
    expect(buildOpencodeInvocation({ ...request, maxTurns: 40, maxBudgetUsd: 3 }, {}).warnings).toEqual([
      'opencode has no turn limit: maxTurns 40 is not enforced (the timeout still is)',
      'opencode has no spending limit: maxBudgetUsd 3 is not enforced (the timeout still is)',
    ]);
  });
});

describe('opencode parser', () => {
  it('opencode-json.jsonl (real): init, message, and a result built from step_finish', () => {
    const events = parseFile('opencode-json.jsonl');
    expect(events).toEqual([
      { kind: 'init', sessionId: 'ses_df3ec36f6ffef49kbFP6M0ufsC', model: null },
      { kind: 'message', text: 'ok' },
      {
        kind: 'result',
        result: agentResult({ message: 'ok', sessionId: 'ses_df3ec36f6ffef49kbFP6M0ufsC', turns: 1, tokens: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 }),
      },
    ]);
    expect(opencodeAdapter.classify(outcome(resultOf(events), 0))).toBeNull();
  });

  it('opencode-written-tools.jsonl: tool uses with their results, tokens and cost summed over steps', () => {
    const events = parseFile('opencode-written-tools.jsonl');
    expect(events.filter((e) => e.kind === 'tool-use' || e.kind === 'tool-result')).toEqual([
      { kind: 'tool-use', id: 'call_01', tool: 'write', detail: 'src/auth/login.ts' },
      { kind: 'tool-result', id: 'call_01', ok: true, text: 'src/auth/login.ts' },
      { kind: 'tool-use', id: 'call_02', tool: 'bash', detail: 'git push origin main' },
      { kind: 'tool-result', id: 'call_02', ok: false, text: 'The user rejected permission to use this specific tool call.' },
    ]);
    const result = resultOf(events);
    expect(result).toMatchObject({
      isError: false,
      turns: 2,
      tokens: { input: 500, output: 160, cacheRead: 2200, cacheWrite: 20 },
      message: 'Done: src/auth/login.ts written.',
      permissionDenials: ['bash', 'bash'],
    });
    expect(result.costUsd).toBeCloseTo(0.0143, 10);
    // A refused git push is the deny list at work, not a failed batch.
    expect(opencodeAdapter.classify(outcome(result, 0))).toBeNull();
  });

  it('a refused edit fails the batch', () => {
    const parse = createOpencodeParser();
    parse('{"type":"step_start","sessionID":"s","part":{}}');
    parse('{"type":"done","sessionID":"s","reason":"idle","rejected":["edit"]}');
    const [end] = parse.end!();
    const failure = opencodeAdapter.classify(outcome(end.kind === 'result' ? end.result : null, 0));
    expect(failure?.kind).toBe('permission-denied');
    expect(failure?.message).toMatch(/^opencode was refused edit, so the batch did not do its work: /);
  });

  it('opencode-written-rate-limit.jsonl: rate limited, retryable', () => {
    const result = resultOf(parseFile('opencode-written-rate-limit.jsonl'));
    expect(result).toMatchObject({ isError: true, reason: 'rate_limited', apiErrorStatus: 429, sessionId: 'ses_r1limit', turns: 0 });
    expect(opencodeAdapter.classify(outcome(result, 1))).toEqual({
      kind: 'rate-limited',
      message: 'opencode was rate limited (HTTP 429: Rate limit exceeded: too many requests, retry later): wait, or run fewer batches at once (--parallel)',
    });
  });

  it('opencode-written-auth.jsonl: not logged in, naming the provider key', () => {
    const result = resultOf(parseFile('opencode-written-auth.jsonl'));
    expect(result).toMatchObject({ isError: true, reason: 'auth', sessionId: 'ses_a1auth' });
    expect(opencodeAdapter.classify(outcome(result, 1))?.message).toBe(
      "opencode is not logged in: set the model provider's key (e.g. ANTHROPIC_API_KEY for anthropic/..., OPENAI_API_KEY for openai/...) or run `opencode auth login`",
    );
  });

  it('end() gives one result only, and none for a run that printed nothing', () => {
    const parse = createOpencodeParser();
    expect(parse.end!()).toEqual([]);
    parse('{"type":"step_start","sessionID":"s","part":{}}');
    expect(parse.end!()).toHaveLength(1);
    expect(parse.end!()).toEqual([]);
  });

  it('a hang (opencode without a provider) is a timeout that says why', () => {
    expect(opencodeAdapter.classify(outcome(null, null, { timedOut: true, signal: 'SIGTERM', timeoutMs: 600_000 }))?.message).toBe(
      'opencode was killed after 10m (opencode waits silently when no provider is configured: check `opencode auth list` and `model: provider/model`): raise `timeout` in the batch frontmatter, or make the batch smaller',
    );
  });

  it('a crash without events names the stderr', () => {
    expect(opencodeAdapter.classify(outcome(null, 1, { stderrTail: 'Error: Unexpected token\n' }))?.message).toBe('opencode exited with code 1 without a result: Error: Unexpected token');
  });
});

describe('opencode parser over malformed lines', () => {
  it.each(MALFORMED_LINES)('%s is kept as unknown', (_, line) => {
    expect(createOpencodeParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it.each(['opencode-json.jsonl', 'opencode-written-tools.jsonl', 'opencode-written-rate-limit.jsonl'])('%s: survives every truncation', (name) => {
    everyTruncation(() => createOpencodeParser(), fixture(name));
  });

  it('survives binary noise and wrong field types', () => {
    const parse = createOpencodeParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
    expect(parse('{"type":"step_finish","sessionID":"s","part":{"tokens":"many","cost":"free"}}')).toEqual([{ kind: 'init', sessionId: 's', model: null }]);
    expect(parse('{"type":"tool_use","part":{"state":null,"tool":5}}')).toEqual([
      { kind: 'tool-use', id: null, tool: 'tool', detail: null },
      { kind: 'tool-result', id: null, ok: true, text: null },
    ]);
    expect(parse('{"type":"error","error":42}')).toEqual([]);
    const [end] = parse.end!();
    expect(end).toMatchObject({ kind: 'result', result: { isError: true, reason: 'error', turns: 1, tokens: { input: null, output: null }, costUsd: null } });
  });

  it('is registered with its npm package', () => {
    expect(opencodeAdapter).toMatchObject({ name: 'opencode', bin: 'opencode', npmPackage: 'opencode-ai', versionArgs: ['--version'] });
  });
});
