import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, flagsOf, helpLists, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { runRequest, outcomeOf, agentResult } from './__fixtures__/request';
import { buildCopilotInvocation, COPILOT_DENIED_TOOLS, copilotAdapter, createCopilotParser } from './copilot';
import { DENIED_GIT_COMMANDS } from './git-deny';

const FIXTURES = join(__dirname, '__fixtures__', 'copilot');
const help = readFileSync(join(FIXTURES, 'help-copilot_--help.txt'), 'utf8');
const parseFile = (name: string) => parseFixture(() => createCopilotParser('/home/dev/project'), join(FIXTURES, name));

const request = runRequest({ prompt: 'You are working on "auth"\n- write src/auth/login.ts', model: 'gpt-5.4' });

const outcome = outcomeOf;

describe('buildCopilotInvocation', () => {
  const args = buildCopilotInvocation(request).args;

  it('runs `copilot -p <prompt> --output-format json` with tools approved, paths and URLs not', () => {
    expect(args.slice(0, 4)).toEqual(['-p', request.prompt, '--output-format', 'json']);
    expect(args).toContain('--allow-all-tools');
    expect(args).not.toContain('--allow-all');
    expect(args).not.toContain('--yolo');
    expect(args).not.toContain('--allow-all-paths');
    expect(args).not.toContain('--allow-all-urls');
    expect(args).toEqual(expect.arrayContaining(['--no-ask-user', '--no-auto-update']));
    expect(buildCopilotInvocation(request)).toMatchObject({ bin: 'copilot', stdin: null, env: {} });
  });

  it('uses only flags that copilot --help lists, with its json output format', () => {
    const all = buildCopilotInvocation({ ...request, resumeSessionId: 'aa778ea0-6eab-4ce9-b87e-11d6d33dab4f', options: { allowTools: ['write'] } }).args;
    for (const flag of flagsOf(all)) expect(helpLists(help, flag)).toBe(true);
    expect(help).toMatch(/--output-format <format>\s+Output format: 'text' \(default\) or 'json' \(JSONL/);
    expect(help).toMatch(/--allow-all-tools\s+Allow all tools to run automatically without confirmation;\s+required for non-interactive mode/);
    expect(all).toContain('--resume=aa778ea0-6eab-4ce9-b87e-11d6d33dab4f');
    expect(all[all.indexOf('--model') + 1]).toBe('gpt-5.4');
  });

  it('denies the git commands of the shared list, one --deny-tool=<rule> each, as in the help example', () => {
    expect(help).toContain("--deny-tool='shell(git push)'");
    const denied = args.filter((a) => a.startsWith('--deny-tool=')).map((a) => a.slice('--deny-tool='.length));
    expect(denied).toEqual(DENIED_GIT_COMMANDS.map((c) => `shell(${c})`));
    expect(denied).toEqual(COPILOT_DENIED_TOOLS);
  });

  it('narrows tools from the batch copilot section', () => {
    const narrow = buildCopilotInvocation({ ...request, options: { allowAllTools: false, allowTools: ['write', 'shell(npm test)'], denyTools: ['url'] } }).args;
    expect(narrow).not.toContain('--allow-all-tools');
    expect(narrow).toEqual(expect.arrayContaining(['--allow-tool=write', '--allow-tool=shell(npm test)', '--deny-tool=url']));
  });

  it('appends agentArgs last and warns about limits it cannot enforce', () => {
    const invocation = buildCopilotInvocation({ ...request, model: null, maxTurns: 10, maxBudgetUsd: 1, extraArgs: ['--autopilot'] });
    expect(invocation.args.at(-1)).toBe('--autopilot');
    expect(invocation.args).not.toContain('--model');
    expect(invocation.warnings).toHaveLength(2);
  });
});

describe('copilot parser', () => {
  it('copilot-written-success.jsonl: model, messages, tool calls, turns and output tokens; no cost', () => {
    const events = parseFile('copilot-written-success.jsonl');
    expect(events.filter((e) => e.kind !== 'result')).toEqual([
      { kind: 'init', sessionId: null, model: 'claude-sonnet-4.5' },
      { kind: 'message', text: 'I will write the file.' },
      { kind: 'tool-use', id: 'call_01', tool: 'create', detail: 'src/auth/login.ts' },
      { kind: 'tool-result', id: 'call_01', ok: true, text: 'Created file /home/dev/project/src/auth/login.ts with 33 characters' },
      { kind: 'tool-use', id: 'call_02', tool: 'bash', detail: 'git push origin main' },
      { kind: 'tool-result', id: 'call_02', ok: false, text: 'Permission denied and could not request permission from user' },
      { kind: 'message', text: 'Done: login.ts written.' },
    ]);
    const result = resultOf(events);
    expect(result).toEqual(agentResult({ message: 'Done: login.ts written.', sessionId: 'aa778ea0-6eab-4ce9-b87e-11d6d33dab4f', turns: 3, tokens: { input: null, output: 89, cacheRead: null, cacheWrite: null }, permissionDenials: ['bash'] }));
    expect(copilotAdapter.classify(outcome(result, 0))).toBeNull();
  });

  it('copilot-written-rate-limit.jsonl: session.error 429 is rate limited (retryable)', () => {
    const result = resultOf(parseFile('copilot-written-rate-limit.jsonl'));
    expect(result).toMatchObject({ isError: true, reason: 'rate_limited', apiErrorStatus: 429, turns: 1 });
    expect(copilotAdapter.classify(outcome(result, 1))?.kind).toBe('rate-limited');
  });

  it('input and cache tokens come from assistant.usage when the CLI sends it', () => {
    const parse = createCopilotParser();
    parse('{"type":"assistant.usage","data":{"model":"m","inputTokens":15,"outputTokens":5,"cacheReadTokens":2}}');
    parse('{"type":"assistant.message","data":{"content":"x","outputTokens":99}}');
    const [event] = parse('{"type":"result","sessionId":"s","exitCode":0,"usage":{"premiumRequests":1}}');
    expect(event).toMatchObject({ kind: 'result', result: { tokens: { input: 15, output: 5, cacheRead: 2, cacheWrite: null } } });
  });

  it('a refused write tool fails the batch', () => {
    const parse = createCopilotParser();
    parse('{"type":"tool.execution_start","data":{"toolCallId":"c1","toolName":"edit","arguments":{"path":"/etc/hosts"}}}');
    parse('{"type":"tool.execution_complete","data":{"toolCallId":"c1","success":false,"error":{"message":"Permission denied: path is outside the allowed directories"}}}');
    const [event] = parse('{"type":"result","sessionId":"s","exitCode":0}');
    const failure = copilotAdapter.classify(outcome(event.kind === 'result' ? event.result : null, 0));
    expect(failure?.kind).toBe('permission-denied');
    expect(failure?.message).toMatch(/^copilot was refused edit, so the batch did not do its work/);
  });

  it('no token: exit 1 names the variables to set', () => {
    expect(copilotAdapter.classify(outcome(null, 1, { stderrTail: 'Error: No authentication information found.\n' }))?.kind).toBe('not-logged-in');
    expect(copilotAdapter.classify(outcome(null, 1, { stderrTail: 'Error: not logged in. Please run /login\n' }))?.message).toBe(
      'copilot is not logged in: set COPILOT_GITHUB_TOKEN (or GH_TOKEN / GITHUB_TOKEN: a token with the "Copilot Requests" permission), or run `copilot login`',
    );
    const [event] = createCopilotParser()('{"type":"result","sessionId":"s","exitCode":1}');
    expect(copilotAdapter.classify(outcome(event.kind === 'result' ? event.result : null, 1))?.message).toBe('copilot reported an error (error): exit code 1');
  });
});

describe('copilot parser over malformed lines', () => {
  it.each(MALFORMED_LINES)('%s is kept as unknown', (_, line) => {
    expect(createCopilotParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it.each(['copilot-written-success.jsonl', 'copilot-written-rate-limit.jsonl'])('%s: survives every truncation', (name) => {
    everyTruncation(() => createCopilotParser(), join(FIXTURES, name));
  });

  it('survives binary noise and wrong field types', () => {
    const parse = createCopilotParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
    expect(parse('{"type":"assistant.message","data":"x"}')).toEqual([]);
    expect(parse('{"type":"tool.execution_start","data":{"toolName":3,"arguments":[1]}}')).toEqual([{ kind: 'tool-use', id: null, tool: 'tool', detail: null }]);
    expect(parse('{"type":"result","exitCode":"0"}')).toEqual([
      { kind: 'result', result: expect.objectContaining({ isError: false, sessionId: null, tokens: { input: null, output: null, cacheRead: null, cacheWrite: null } }) },
    ]);
  });

  it('is registered with its npm package', () => {
    expect(copilotAdapter).toMatchObject({ name: 'copilot', bin: 'copilot', npmPackage: '@github/copilot' });
  });
});
