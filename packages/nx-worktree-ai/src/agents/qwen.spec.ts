import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, flagsOf, helpLists, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { runRequest, outcomeOf, agentResult } from './__fixtures__/request';
import { createClaudeParser } from './stream-json';
import { DENIED_GIT_COMMANDS } from './git-deny';
import { buildQwenInvocation, classifyQwen, QWEN_DENIED_TOOLS, qwenAdapter } from './qwen';
import type { AgentResult } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'qwen');
const help = readFileSync(join(FIXTURES, 'help-qwen_--help.txt'), 'utf8');

const request = runRequest({ prompt: 'You are working on "auth"\n- write src/auth/login.ts', model: 'qwen3-coder-plus', maxTurns: 40 });

const outcome = outcomeOf;

/** The `[choices: "a", "b"]` help lists for an option. */
function choices(option: string): string[] {
  const start = help.indexOf(`${option} `);
  const text = help.slice(start, help.indexOf('\n  -', start + 1)).replace(/\s+/g, ' ');
  return [...(/\[choices: ([^\]]*)\]/.exec(text)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

describe('buildQwenInvocation', () => {
  const args = buildQwenInvocation(request).args;
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('puts the prompt first, as the positional query, and no prompt on stdin', () => {
    const invocation = buildQwenInvocation(request);
    expect(invocation).toMatchObject({ bin: 'qwen', stdin: null, env: {} });
    expect(args[0]).toBe(request.prompt);
    expect(help).toMatch(/query {2}Positional prompt\. Defaults to one-shot/);
  });

  it('streams Claude-style JSON in auto-edit mode, with values qwen accepts', () => {
    expect(value('--output-format')).toBe('stream-json');
    expect(choices('--output-format')).toContain('stream-json');
    expect(value('--approval-mode')).toBe('auto-edit');
    expect(choices('--approval-mode')).toContain('auto-edit');
    expect(args).not.toContain('--yolo');
    expect(args).not.toContain('-y');
    expect([value('--model'), value('--max-session-turns')]).toEqual(['qwen3-coder-plus', '40']);
  });

  it('uses only flags that qwen --help lists', () => {
    const all = buildQwenInvocation({ ...request, resumeSessionId: '890e7213-4aa5-4481-a34b-b1dcbc3e6fe3', options: { allowedTools: ['run_shell_command(npm test)'] } }).args;
    for (const flag of flagsOf(all)) expect(helpLists(help, flag)).toBe(true);
    expect(flagsOf(all)).toEqual(['--output-format', '--exclude-tools', '--allowed-tools', '--approval-mode', '--model', '--max-session-turns', '--resume']);
    expect(all.slice(all.indexOf('--resume'), all.indexOf('--resume') + 2)).toEqual(['--resume', '890e7213-4aa5-4481-a34b-b1dcbc3e6fe3']);
  });

  it('excludes the git commands of the shared deny list; an option follows each variadic list', () => {
    const start = args.indexOf('--exclude-tools') + 1;
    expect(args.slice(start, start + QWEN_DENIED_TOOLS.length)).toEqual(DENIED_GIT_COMMANDS.map((c) => `run_shell_command(${c})`));
    expect(args[start + QWEN_DENIED_TOOLS.length]).toMatch(/^--/);
    const withAllowed = buildQwenInvocation({ ...request, options: { allowedTools: ['run_shell_command(npm test)'], excludeTools: ['web_fetch'] } }).args;
    const allowed = withAllowed.indexOf('--allowed-tools');
    expect(withAllowed.slice(allowed + 1, allowed + 3)).toEqual(['run_shell_command(npm test)', '--approval-mode']);
    expect(withAllowed[allowed - 1]).toBe('web_fetch');
  });

  it('takes a wider approval mode only from the batch qwen section', () => {
    const yolo = buildQwenInvocation({ ...request, options: { approvalMode: 'yolo' } }).args;
    expect(yolo[yolo.indexOf('--approval-mode') + 1]).toBe('yolo');
  });

  it('omits unset settings, warns about the budget it cannot enforce, appends agentArgs', () => {
    const bare = buildQwenInvocation({ ...request, model: null, maxTurns: null, maxBudgetUsd: 2, extraArgs: ['--debug'] });
    expect(bare.args).not.toContain('--model');
    expect(bare.args).not.toContain('--max-session-turns');
    expect(bare.args.at(-1)).toBe('--debug');
    expect(bare.warnings).toEqual(['qwen has no spending limit: maxBudgetUsd 2 is not enforced (the timeout still is)']);
  });

  it('refuses a prompt too long for one argument', () => {
    expect(() => buildQwenInvocation({ ...request, prompt: 'x'.repeat(200 * 1024) })).toThrow(/the prompt is 200 KiB but qwen takes it as a command-line argument/);
  });
});

describe('qwen parser (the Claude parser) over the real transcript', () => {
  const events = parseFixture(qwenAdapter.createParser, join(FIXTURES, 'qwen-stream.jsonl'));

  it('init, message, and the result with session, turns and tokens but no cost', () => {
    expect(events).toEqual([
      { kind: 'init', sessionId: '890e7213-4aa5-4481-a34b-b1dcbc3e6fe3', model: 'claude-fake' },
      // stream_event (goal_state) is qwen's own: kept in the transcript, ignored by progress.
      { kind: 'unknown', line: expect.stringContaining('"type":"stream_event"') },
      { kind: 'message', text: 'ok' },
      expect.objectContaining({ kind: 'result' }),
    ]);
    expect(resultOf(events)).toEqual(agentResult({ message: 'ok', sessionId: '890e7213-4aa5-4481-a34b-b1dcbc3e6fe3', turns: 1, tokens: { input: 200, output: 40, cacheRead: 0, cacheWrite: null } }));
    expect(classifyQwen(outcome(resultOf(events), 0))).toBeNull();
  });

  it('reuses the Claude parser rather than a copy', () => {
    expect(qwenAdapter.createParser).toBe(createClaudeParser);
  });

  it('shows qwen tool calls with their file or command', () => {
    const parse = qwenAdapter.createParser();
    parse('{"type":"system","subtype":"init","cwd":"/home/dev/project","session_id":"s"}');
    expect(parse('{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"write_file","input":{"file_path":"/home/dev/project/src/a.ts","content":"x"}},{"type":"tool_use","id":"t2","name":"run_shell_command","input":{"command":"npm test"}}]}}')).toEqual([
      { kind: 'tool-use', id: 't1', tool: 'write_file', detail: 'src/a.ts' },
      { kind: 'tool-use', id: 't2', tool: 'run_shell_command', detail: 'npm test' },
    ]);
  });
});

describe('classifyQwen', () => {
  const ok: AgentResult = resultOf(parseFixture(qwenAdapter.createParser, join(FIXTURES, 'qwen-stream.jsonl')));

  it('exit 53 is the turn limit', () => {
    expect(classifyQwen(outcome(null, 53))).toEqual({
      kind: 'max-turns',
      message: 'qwen hit its turn limit (exit code 53): raise `maxTurns` in the batch frontmatter, or make the batch smaller',
    });
  });

  it('exit 1 without credentials says what to set', () => {
    expect(classifyQwen(outcome(null, 1, { stderrTail: 'Error: Missing API key. Please set OPENAI_API_KEY\n' }))?.message).toBe(
      'qwen is not logged in: set OPENAI_API_KEY (with OPENAI_BASE_URL and OPENAI_MODEL) or another auth type in ~/.qwen/settings.json',
    );
  });

  it('a refused write_file fails the batch; a refused shell command does not', () => {
    expect(classifyQwen(outcome({ ...ok, permissionDenials: ['write_file'] }, 0))?.kind).toBe('permission-denied');
    expect(classifyQwen(outcome({ ...ok, permissionDenials: ['run_shell_command'] }, 0))).toBeNull();
  });

  it('HTTP 429 in the result is rate limited', () => {
    const [event] = createClaudeParser()('{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"Throttling: too many requests"}');
    expect(classifyQwen(outcome(event.kind === 'result' ? event.result : null, 1))?.kind).toBe('rate-limited');
  });
});

describe('qwen parser over malformed lines', () => {
  it.each(MALFORMED_LINES)('%s is kept as unknown', (_, line) => {
    expect(qwenAdapter.createParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('survives every truncation of the transcript and binary noise', () => {
    everyTruncation(qwenAdapter.createParser, join(FIXTURES, 'qwen-stream.jsonl'), 31);
    const parse = qwenAdapter.createParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
  });

  it('is registered with its npm package', () => {
    expect(qwenAdapter).toMatchObject({ name: 'qwen', bin: 'qwen', npmPackage: '@qwen-code/qwen-code' });
  });
});
