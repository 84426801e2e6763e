import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '@testing/temp';
import { everyTruncation, flagsOf, helpLists, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { runRequest, outcomeOf } from './__fixtures__/request';
import { ampAdapter, ampPreflight, ampSecretsFile, buildAmpInvocation } from './amp';
import { createClaudeParser } from './stream-json';

const FIXTURES = join(__dirname, '__fixtures__', 'amp');
const help = readFileSync(join(FIXTURES, 'help-amp_--help.txt'), 'utf8');

const request = runRequest({ prompt: 'You are working on "auth"\n- write src/auth/login.ts' });

const outcome = outcomeOf;

describe('buildAmpInvocation', () => {
  it('executes with Claude-compatible stream JSON, prompt on stdin (amp --help: "either as argument, or via stdin")', () => {
    const invocation = buildAmpInvocation(request);
    expect(invocation).toMatchObject({ bin: 'amp', args: ['--execute', '--stream-json', '--no-ide'], stdin: request.prompt, env: {} });
    expect(help).toMatch(/-x, --execute \[message\]\s+Use execute mode, optionally with user message\. In execute mode, agent will execute provided prompt \(either as\s+argument, or via stdin\)/);
    expect(help).toMatch(/--stream-json\s+When used with --execute, output in Claude Code-compatible stream JSON format/);
  });

  it('uses only flags that amp --help lists; model is the agent mode; resume continues the thread', () => {
    const args = buildAmpInvocation({ ...request, model: 'high', resumeSessionId: 'T-5928a90d-d53b-488f-a829-4e36442142ee' }).args;
    expect(args).toEqual(['threads', 'continue', 'T-5928a90d-d53b-488f-a829-4e36442142ee', '--execute', '--stream-json', '--no-ide', '--mode', 'high']);
    for (const flag of flagsOf(args)) expect(helpLists(help, flag)).toBe(true);
    expect(help).toMatch(/continue\s+\[alias: c\] Continue an existing thread/);
    expect(help).toMatch(/With `threads continue`, sends the message to the existing thread/);
  });

  it('warns about limits amp cannot enforce and appends agentArgs', () => {
    const invocation = buildAmpInvocation({ ...request, maxTurns: 5, extraArgs: ['--log-level', 'debug'] });
    expect(invocation.args.slice(-2)).toEqual(['--log-level', 'debug']);
    expect(invocation.warnings).toEqual(['amp has no turn limit: maxTurns 5 is not enforced (the timeout still is)']);
  });
});

describe('amp preflight (amp waits forever for a browser login without credentials)', () => {
  let home: string;
  beforeEach(() => {
    home = tempDir('nxwa-amp-');
  });
  afterEach(() => removeDir(home));

  it('fails at once, naming AMP_API_KEY, when there is neither the variable nor a stored key', () => {
    const failure = ampPreflight({ HOME: home });
    expect(failure?.kind).toBe('not-logged-in');
    expect(failure?.message).toBe(
      `amp has no credentials (AMP_API_KEY is not set and ${join(home, '.local/share/amp/secrets.json')} holds no key): without them it waits for a browser login forever. ` +
        'Set AMP_API_KEY (an access token from https://ampcode.com/settings/security#access-token) or run `amp login`',
    );
    expect(ampAdapter.preflight).toBe(ampPreflight);
  });

  it('passes with AMP_API_KEY, or with the key `amp login` stored', () => {
    expect(ampPreflight({ HOME: home, AMP_API_KEY: 'sgamp_x' })).toBeNull();
    expect(ampPreflight({ HOME: home, AMP_API_KEY: '  ' })).not.toBeNull();
    const file = ampSecretsFile({ HOME: home });
    mkdirSync(join(home, '.local/share/amp'), { recursive: true });
    writeFileSync(file, '{"other":"x"}');
    expect(ampPreflight({ HOME: home })).not.toBeNull();
    writeFileSync(file, '{"apiKey@https://ampcode.com/":"sgamp_user_x"}');
    expect(ampPreflight({ HOME: home })).toBeNull();
    expect(ampSecretsFile({ HOME: home, XDG_DATA_HOME: '/x/data' })).toBe('/x/data/amp/secrets.json');
  });
});

describe('amp parser (the Claude parser)', () => {
  it('reuses the Claude parser', () => {
    expect(ampAdapter.createParser).toBe(createClaudeParser);
  });

  it('amp-written-stream.jsonl: thread id as session, amp tool names with their file, no cost', () => {
    const events = parseFixture(ampAdapter.createParser, join(FIXTURES, 'amp-written-stream.jsonl'));
    expect(events.filter((e) => e.kind === 'tool-use')).toEqual([{ kind: 'tool-use', id: 'toolu_01', tool: 'create_file', detail: 'src/auth/login.ts' }]);
    expect(resultOf(events)).toMatchObject({
      isError: false,
      sessionId: 'T-5928a90d-d53b-488f-a829-4e36442142ee',
      turns: 2,
      tokens: { input: 2600, output: 95, cacheRead: 1100, cacheWrite: 0 },
      costUsd: null,
    });
    expect(ampAdapter.classify(outcome(resultOf(events), 0))).toBeNull();
  });

  it('a refused edit_file fails the batch; a hang names the login trap', () => {
    const result = resultOf(parseFixture(ampAdapter.createParser, join(FIXTURES, 'amp-written-stream.jsonl')));
    expect(ampAdapter.classify(outcome({ ...result, permissionDenials: ['edit_file'] }, 0))?.kind).toBe('permission-denied');
    expect(ampAdapter.classify(outcome(null, null, { timedOut: true, timeoutMs: 60_000 }))?.message).toContain('(amp waits for a browser login when it finds no credentials)');
  });

  it.each(MALFORMED_LINES)('%s is kept as unknown', (_, line) => {
    expect(ampAdapter.createParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('survives every truncation and binary noise', () => {
    everyTruncation(ampAdapter.createParser, join(FIXTURES, 'amp-written-stream.jsonl'));
    const parse = ampAdapter.createParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
  });

  it('is registered with its npm package', () => {
    expect(ampAdapter).toMatchObject({ name: 'amp', bin: 'amp', npmPackage: '@ampcode/cli' });
  });
});
