import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { outcomeOf as outcome, runRequest } from './__fixtures__/request';
import { buildClaudeInvocation, CLAUDE_DENIED_TOOLS, claudeAdapter } from './claude';
import { createClaudeParser } from './stream-json';
import type { AgentEvent } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'claude');

describe('classify without a usable result', () => {
  it('timeout says after how long and what to change', () => {
    expect(claudeAdapter.classify(outcome(null, null, { timedOut: true, signal: 'SIGTERM', timeoutMs: 20 * 60_000 }))).toEqual({
      kind: 'timeout',
      message: 'claude was killed after 20m: raise `timeout` in the batch frontmatter, or make the batch smaller',
    });
  });

  it('a cancelled run is reported as interrupted, not as a crash of claude', () => {
    expect(claudeAdapter.classify(outcome(null, null, { signal: 'SIGTERM', aborted: true }))?.message).toBe('claude was interrupted (the run was cancelled)');
  });

  it('a crash with no result gives the exit code and the stderr tail', () => {
    expect(claudeAdapter.classify(outcome(null, 1, { stderrTail: 'line 1\nError: something broke\n' }))).toEqual({
      kind: 'crashed',
      message: 'claude exited with code 1 without a result: line 1 | Error: something broke',
    });
    expect(claudeAdapter.classify(outcome(null, null, { signal: 'SIGKILL' }))?.message).toBe('claude was killed by SIGKILL without a result: nothing on stderr');
  });

  it('exit 0 without a result event is a failure too', () => {
    expect(claudeAdapter.classify(outcome(null, 0))?.kind).toBe('crashed');
    expect(claudeAdapter.classify(outcome(null, 0))?.message).toContain('without a result event');
  });

  it('HTTP 429 is rate limiting', () => {
    const parse = createClaudeParser();
    const [event] = parse('{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"terminal_reason":"api_error","result":"Rate limited"}');
    const result = (event as Extract<AgentEvent, { kind: 'result' }>).result;
    expect(result.reason).toBe('rate_limited');
    expect(claudeAdapter.classify(outcome(result, 1))).toEqual({
      kind: 'rate-limited',
      message: 'claude was rate limited (HTTP 429: Rate limited): wait, or run fewer batches at once (--parallel)',
    });
  });
});

describe('buildClaudeInvocation', () => {
  const help = readFileSync(join(FIXTURES, 'claude-p-help.txt'), 'utf8');
  const request = runRequest({
    prompt: '- a prompt that starts with a dash\nand has lines',
    model: 'sonnet',
    maxTurns: 40,
    maxBudgetUsd: 2.5,
    extraArgs: ['--append-system-prompt', 'be brief'],
  });

  it('takes its settings from the batch\'s claude section, deny list kept, bypass only when asked', () => {
    const args = buildClaudeInvocation({
      ...request,
      extraArgs: [],
      options: { permissionMode: 'bypassPermissions', allowedTools: ['Bash(npm test:*)'], disallowedTools: ['WebFetch'], appendSystemPrompt: 'be terse' },
    }).args;
    const deny = args.indexOf('--disallowedTools');
    expect(args.slice(deny + 1, args.indexOf('--allowedTools'))).toEqual([...CLAUDE_DENIED_TOOLS, 'WebFetch']);
    expect(args.slice(args.indexOf('--allowedTools') + 1, args.indexOf('--permission-mode'))).toEqual(['Bash(npm test:*)']);
    expect(args[args.indexOf('--permission-mode') + 1]).toBe('bypassPermissions');
    expect(args[args.indexOf('--append-system-prompt') + 1]).toBe('be terse');
    expect(buildClaudeInvocation(request).args[buildClaudeInvocation(request).args.indexOf('--permission-mode') + 1]).toBe('acceptEdits');
  });

  it("the claude section's agent runs claude as that agent definition (--agent, which claude -p --help lists)", () => {
    const args = buildClaudeInvocation({ ...request, extraArgs: [], options: { agent: 'code-reviewer' } }).args;
    expect(args.slice(args.indexOf('--agent'), args.indexOf('--agent') + 2)).toEqual(['--agent', 'code-reviewer']);
    expect(help).toMatch(/^ {2}--agent <agent> /m);
    expect(buildClaudeInvocation(request).args).not.toContain('--agent');
  });

  /** The `(choices: "a", "b")` listed in help for an option. */
  function choices(option: string): string[] {
    const start = help.indexOf(`  ${option} `);
    const end = help.indexOf('\n  -', start + 1);
    const text = help.slice(start, end).replace(/\s+/g, ' ');
    return [...(/\(choices: ([^)]*)\)/.exec(text)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  }

  it('puts the prompt on stdin, never in argv', () => {
    const invocation = buildClaudeInvocation(request);
    expect(invocation.bin).toBe('claude');
    expect(invocation.stdin).toBe(request.prompt);
    expect(invocation.args.some((a) => a.includes('a prompt'))).toBe(false);
  });

  it('uses only flags that claude --help lists (plus the hidden --max-turns)', () => {
    const flags = buildClaudeInvocation(request).args.filter((a) => a.startsWith('-'));
    for (const flag of flags.filter((f) => f !== '--max-turns')) expect(help).toMatch(new RegExp(`(^|[ ,])${flag.replace(/[-]/g, '\\-')}[ ,\\n]`, 'm'));
    expect(flags).toEqual([
      '-p', '--output-format', '--verbose', '--disallowedTools', '--permission-mode', '--model', '--max-turns', '--max-budget-usd', '--append-system-prompt',
    ]);
  });

  it('streams JSON in acceptEdits mode, with values claude accepts', () => {
    const args = buildClaudeInvocation(request).args;
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect(choices('--output-format')).toContain(value('--output-format'));
    expect(value('--output-format')).toBe('stream-json');
    expect(choices('--permission-mode')).toContain(value('--permission-mode'));
    expect(value('--permission-mode')).toBe('acceptEdits');
    expect([value('--model'), value('--max-turns'), value('--max-budget-usd')]).toEqual(['sonnet', '40', '2.5']);
  });

  it('denies pushing and history rewriting; an option follows the variadic list', () => {
    const args = buildClaudeInvocation(request).args;
    const start = args.indexOf('--disallowedTools') + 1;
    const denied = args.slice(start, start + CLAUDE_DENIED_TOOLS.length);
    expect(denied).toEqual(CLAUDE_DENIED_TOOLS);
    expect(args[start + denied.length].startsWith('--')).toBe(true);
    expect(denied).toEqual(expect.arrayContaining(['Bash(git push:*)', 'Bash(git reset --hard:*)', 'Bash(git rebase:*)', 'Bash(git commit --amend:*)']));
    for (const rule of denied) expect(rule).toMatch(/^Bash\(git [a-z-]+( -{1,2}[a-zA-Z-]+| [a-z]+)?:\*\)$/);
  });

  it('appends agentArgs last, so a later --permission-mode overrides the default (opt-in bypass)', () => {
    const args = buildClaudeInvocation({ ...request, extraArgs: ['--permission-mode', 'bypassPermissions'] }).args;
    expect(args.slice(-2)).toEqual(['--permission-mode', 'bypassPermissions']);
  });

  it('omits unset limits and the model', () => {
    const args = buildClaudeInvocation({ ...request, model: null, maxTurns: null, maxBudgetUsd: null, extraArgs: [] }).args;
    expect(args).not.toContain('--model');
    expect(args).not.toContain('--max-turns');
    expect(args).not.toContain('--max-budget-usd');
    expect(args.at(-2)).toBe('--permission-mode');
  });

  it('continues a session with --resume (help: -r, --resume), before agentArgs', () => {
    const args = buildClaudeInvocation({ ...request, resumeSessionId: 'eec12db7-49b2-44cd-a215-a80890154fd3' }).args;
    expect(args.slice(args.indexOf('--resume'), args.indexOf('--resume') + 2)).toEqual(['--resume', 'eec12db7-49b2-44cd-a215-a80890154fd3']);
    expect(help).toMatch(/-r, --resume/);
    expect(args.slice(-2)).toEqual(request.extraArgs);
    expect(buildClaudeInvocation(request).args).not.toContain('--resume');
  });

  it('adds no secrets to the environment', () => {
    expect(buildClaudeInvocation(request).env).toEqual({ DISABLE_AUTOUPDATER: '1' });
  });
});
