import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { outcomeOf } from './__fixtures__/request';
import { buildClaudeInvocation, CLAUDE_DENIED_TOOLS, classifyClaude, createClaudeParser } from './claude';
import type { AgentEvent, AgentResult, AgentRunRequest } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'claude');
const TRANSCRIPTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl') || f.endsWith('.json'));

function parseFile(name: string): AgentEvent[] {
  const parse = createClaudeParser();
  return readFileSync(join(FIXTURES, name), 'utf8').split('\n').flatMap(parse);
}

function resultOf(events: AgentEvent[]): AgentResult {
  const results = events.filter((e): e is Extract<AgentEvent, { kind: 'result' }> => e.kind === 'result');
  expect(results).toHaveLength(1);
  return results[0].result;
}

const outcome = outcomeOf;

function classifyFile(name: string, exitCode: number) {
  return classifyClaude(outcome(resultOf(parseFile(name)), exitCode));
}

describe('claude parser over every real transcript', () => {
  it('has the transcripts', () => {
    expect(TRANSCRIPTS.length).toBeGreaterThanOrEqual(9);
  });

  it.each(TRANSCRIPTS)('%s: understands every line and ends with exactly one result', (name) => {
    const events = parseFile(name);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.at(-1)?.kind).toBe('result');
    resultOf(events);
  });

  it.each(TRANSCRIPTS)('%s: survives every truncation of every line', (name) => {
    const parse = createClaudeParser();
    for (const line of readFileSync(join(FIXTURES, name), 'utf8').split('\n')) {
      for (let cut = 0; cut < line.length; cut += 97) {
        const events = parse(line.slice(0, cut));
        if (cut > 0) expect(events).toEqual([{ kind: 'unknown', line: line.slice(0, cut) }]);
      }
    }
  });
});

describe('stream-success-write.jsonl', () => {
  const events = parseFile('stream-success-write.jsonl');

  it('yields init, message, tool use with a cwd-relative path, tool result, message, result', () => {
    expect(events.slice(0, -1)).toEqual([
      { kind: 'init', sessionId: 'eec12db7-49b2-44cd-a215-a80890154fd3', model: 'claude-opus-5-5' },
      { kind: 'message', text: 'I will write the file.' },
      { kind: 'tool-use', id: 'toolu_fake_1', tool: 'Write', detail: 'hello.txt' },
      { kind: 'tool-result', id: 'toolu_fake_1', ok: true, text: expect.stringContaining('File created successfully') },
      { kind: 'message', text: 'Done: file written.' },
    ]);
  });

  it('reads session, turns, tokens and cost from the result', () => {
    expect(resultOf(events)).toEqual({
      isError: false,
      reason: null,
      message: 'Done: file written.',
      sessionId: 'eec12db7-49b2-44cd-a215-a80890154fd3',
      turns: 2,
      tokens: { input: 200, output: 40, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0.0016,
      permissionDenials: [],
      apiErrorStatus: null,
    });
  });

  it('classifies exit 0 as success, but a non-zero exit as a crash', () => {
    expect(classifyFile('stream-success-write.jsonl', 0)).toBeNull();
    expect(classifyFile('stream-success-write.jsonl', 1)).toEqual({
      kind: 'crashed',
      message: 'claude exited with code 1 although it reported success: nothing on stderr',
    });
  });
});

describe('permission denials', () => {
  it('a refused Write fails the batch although claude exits 0 with is_error false', () => {
    const events = parseFile('stream-permission-denied.jsonl');
    expect(events).toContainEqual({ kind: 'tool-result', id: 'toolu_fake_1', ok: false, text: expect.stringContaining("haven't granted it") });
    const result = resultOf(events);
    expect(result).toMatchObject({ isError: false, permissionDenials: ['Write'], sessionId: '8c2c62f0-c845-4a31-9fae-463b7ad8aa3b' });
    const failure = classifyFile('stream-permission-denied.jsonl', 0);
    expect(failure?.kind).toBe('permission-denied');
    expect(failure?.message).toMatch(/^claude was refused Write, so the batch did not do its work: /);
  });

  it('refused git commands (the deny rules at work) do not fail the batch', () => {
    const events = parseFile('stream-denied-git-accept-edits.jsonl');
    expect(events.filter((e) => e.kind === 'tool-use')).toEqual([
      { kind: 'tool-use', id: 'toolu_1', tool: 'Bash', detail: 'git push origin main' },
      { kind: 'tool-use', id: 'toolu_2', tool: 'Bash', detail: 'git reset --hard HEAD' },
      { kind: 'tool-use', id: 'toolu_3', tool: 'Write', detail: 'hello.txt' },
      { kind: 'tool-use', id: 'toolu_4', tool: 'Bash', detail: 'echo hello && git stash list' },
    ]);
    expect(events.filter((e) => e.kind === 'tool-result').map((e) => e.kind === 'tool-result' && e.ok)).toEqual([false, false, true, false]);
    expect(resultOf(events)).toMatchObject({ isError: false, turns: 5, permissionDenials: ['Bash', 'Bash', 'Bash'] });
    expect(classifyFile('stream-denied-git-accept-edits.jsonl', 0)).toBeNull();
  });
});

describe('auth and API failures (subtype "success" with is_error true)', () => {
  it('stream-401.jsonl: retry event, auth reason, HTTP status, not-logged-in failure', () => {
    const events = parseFile('stream-401.jsonl');
    expect(events).toContainEqual({ kind: 'retry', attempt: 1, status: 401, message: 'authentication_failed' });
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'auth', apiErrorStatus: 401, sessionId: 'b9ef597c-ccfa-44ee-9f4c-b0dd596d2cf5', costUsd: 0 });
    expect(classifyFile('stream-401.jsonl', 1)).toEqual({
      kind: 'not-logged-in',
      message: "claude's credentials were rejected (HTTP 401: Invalid API key · Fix external API key): set a valid ANTHROPIC_API_KEY (or run `claude /login`)",
    });
  });

  it('judges by is_error even with exit code 0', () => {
    expect(classifyFile('stream-401.jsonl', 0)?.kind).toBe('not-logged-in');
  });

  it.each(['stream-not-logged-in.jsonl', 'json-not-logged-in.json'])('%s: not logged in', (name) => {
    expect(resultOf(parseFile(name))).toMatchObject({ isError: true, reason: 'auth', apiErrorStatus: null, message: 'Not logged in · Please run /login' });
    expect(classifyFile(name, 1)).toEqual({ kind: 'not-logged-in', message: 'claude is not logged in: set ANTHROPIC_API_KEY (or run `claude /login`)' });
  });

  it('stream-500.jsonl: api error with its status and advice', () => {
    const events = parseFile('stream-500.jsonl');
    expect(events).toContainEqual({ kind: 'retry', attempt: 1, status: 500, message: 'server_error' });
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'api_error', apiErrorStatus: 500, sessionId: '03fbe106-043a-4a1b-8276-d0ba929d6828' });
    const failure = classifyFile('stream-500.jsonl', 1);
    expect(failure?.kind).toBe('api-error');
    expect(failure?.message).toMatch(/^claude failed with an API error \(HTTP 500: API Error: 500 Internal server error\..*\): usually temporary, run the batch again$/);
  });
});

describe('limits', () => {
  it('json-error-max-turns.json: max turns', () => {
    expect(resultOf(parseFile('json-error-max-turns.json'))).toEqual({
      isError: true,
      reason: 'max_turns',
      message: 'Reached maximum number of turns (1)',
      sessionId: '05af13fe-8b23-4012-81a2-aebe20af6d4e',
      turns: 2,
      tokens: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0.0008,
      permissionDenials: [],
      apiErrorStatus: null,
    });
    expect(classifyFile('json-error-max-turns.json', 1)).toEqual({
      kind: 'max-turns',
      message: 'claude hit its turn limit (Reached maximum number of turns (1); 2 turns): raise `maxTurns` in the batch frontmatter, or make the batch smaller',
    });
  });

  it('stream-max-budget.jsonl: budget', () => {
    expect(resultOf(parseFile('stream-max-budget.jsonl'))).toMatchObject({ isError: true, reason: 'max_budget', costUsd: 0.0008, message: 'Reached maximum budget ($0.0005)' });
    expect(classifyFile('stream-max-budget.jsonl', 1)).toEqual({
      kind: 'budget',
      message: 'claude hit its budget (Reached maximum budget ($0.0005); spent $0.0008): raise `maxBudgetUsd` in the batch frontmatter, or make the batch smaller',
    });
  });
});

describe('malformed and unknown lines', () => {
  const parse = createClaudeParser();

  it.each([
    ['truncated JSON', '{"type":"assistant","message":{"content":[{"type":"te'],
    ['binary noise', '\u0000\u0001\uFFFD\u00ff\u001b[31mPK\u0003\u0004'],
    ['an unknown event type', '{"type":"stream_event","event":{"type":"content_block_delta"}}'],
    ['an unknown system subtype', '{"type":"system","subtype":"compact_boundary"}'],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
    ['a JSON string', '"result"'],
    ['no type', '{"subtype":"init"}'],
    ['assistant without content', '{"type":"assistant","message":{}}'],
    ['assistant with a non-object message', '{"type":"assistant","message":"hi"}'],
  ])('%s is kept as unknown', (_, line) => {
    expect(parse(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('skips blank lines', () => {
    expect(parse('')).toEqual([]);
    expect(parse('   \r')).toEqual([]);
  });

  it('tolerates wrong field types', () => {
    expect(parse('{"type":"system","subtype":"init","session_id":42,"model":null}')).toEqual([{ kind: 'init', sessionId: null, model: null }]);
    expect(parse('{"type":"assistant","message":{"content":[null,1,{"type":"tool_use","name":"Write"},{"type":"thinking","thinking":"x"},{"type":"text","text":""}]}}')).toEqual([
      { kind: 'tool-use', id: null, tool: 'Write', detail: null },
    ]);
    const [event] = parse('{"type":"result","usage":"x","num_turns":"2","permission_denials":[{"tool_name":7},"Write"],"is_error":"yes"}');
    expect(event).toEqual({
      kind: 'result',
      result: {
        isError: false,
        reason: null,
        message: null,
        sessionId: null,
        turns: null,
        tokens: { input: null, output: null, cacheRead: null, cacheWrite: null },
        costUsd: null,
        permissionDenials: ['unknown tool'],
        apiErrorStatus: null,
      },
    });
  });

  it('reads tool results given as content blocks', () => {
    const line = '{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"a"},{"type":"image"},{"type":"text","text":"b"}]}]}}';
    expect(parse(line)).toEqual([{ kind: 'tool-result', id: 't1', ok: false, text: 'a\nb' }]);
  });

  it('treats an error subtype as an error even without is_error', () => {
    const [event] = parse('{"type":"result","subtype":"error_during_execution","errors":["boom"]}');
    expect(event).toMatchObject({ kind: 'result', result: { isError: true, reason: 'error_during_execution', message: 'boom' } });
  });
});

describe('tool details', () => {
  function toolUse(name: string, input: unknown): AgentEvent[] {
    const parse = createClaudeParser();
    parse(JSON.stringify({ type: 'system', subtype: 'init', cwd: '/home/dev/project', session_id: 's' }));
    return parse(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 'x', name, input }] } }));
  }

  it.each([
    ['Edit', { file_path: '/home/dev/project/src/auth/login.ts' }, 'src/auth/login.ts'],
    ['MultiEdit', { file_path: '/home/dev/project/a.ts' }, 'a.ts'],
    ['Read', { file_path: '/etc/hosts' }, '/etc/hosts'],
    ['NotebookEdit', { notebook_path: '/home/dev/project/nb.ipynb' }, 'nb.ipynb'],
    ['Write', { file_path: 'relative/already.ts' }, 'relative/already.ts'],
    ['Bash', { command: 'npm test\n  -- --watch=false' }, 'npm test -- --watch=false'],
    ['Bash', { command: `echo ${'x'.repeat(200)}` }, `echo ${'x'.repeat(74)}…`],
    ['Grep', { pattern: 'TODO', path: '/home/dev/project/src' }, 'TODO in src'],
    ['Glob', { pattern: '**/*.ts' }, '**/*.ts'],
    ['TodoWrite', { todos: [] }, null],
  ])('%s %j -> %s', (tool, input, detail) => {
    expect(toolUse(tool, input)).toEqual([{ kind: 'tool-use', id: 'x', tool, detail }]);
  });
});

describe('classify without a usable result', () => {
  it('timeout says after how long and what to change', () => {
    expect(classifyClaude(outcome(null, null, { timedOut: true, signal: 'SIGTERM', timeoutMs: 20 * 60_000 }))).toEqual({
      kind: 'timeout',
      message: 'claude was killed after 20m: raise `timeout` in the batch frontmatter, or make the batch smaller',
    });
  });

  it('a cancelled run is reported as interrupted, not as a crash of claude', () => {
    expect(classifyClaude(outcome(null, null, { signal: 'SIGTERM', aborted: true }))?.message).toBe('claude was interrupted (the run was cancelled)');
  });

  it('a crash with no result gives the exit code and the stderr tail', () => {
    expect(classifyClaude(outcome(null, 1, { stderrTail: 'line 1\nError: something broke\n' }))).toEqual({
      kind: 'crashed',
      message: 'claude exited with code 1 without a result: line 1 | Error: something broke',
    });
    expect(classifyClaude(outcome(null, null, { signal: 'SIGKILL' }))?.message).toBe('claude was killed by SIGKILL without a result: nothing on stderr');
  });

  it('exit 0 without a result event is a failure too', () => {
    expect(classifyClaude(outcome(null, 0))?.kind).toBe('crashed');
    expect(classifyClaude(outcome(null, 0))?.message).toContain('without a result event');
  });

  it('HTTP 429 is rate limiting', () => {
    const parse = createClaudeParser();
    const [event] = parse('{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"terminal_reason":"api_error","result":"Rate limited"}');
    const result = (event as Extract<AgentEvent, { kind: 'result' }>).result;
    expect(result.reason).toBe('rate_limited');
    expect(classifyClaude(outcome(result, 1))).toEqual({
      kind: 'rate-limited',
      message: 'claude was rate limited (HTTP 429: Rate limited): wait, or run fewer batches at once (--parallel)',
    });
  });
});

describe('buildClaudeInvocation', () => {
  const help = readFileSync(join(FIXTURES, 'claude-p-help.txt'), 'utf8');
  const request: AgentRunRequest = {
    prompt: '- a prompt that starts with a dash\nand has lines',
    promptFile: '/tmp/wt.prompt.md',
    cwd: '/tmp/wt',
    model: 'sonnet',
    maxTurns: 40,
    maxBudgetUsd: 2.5,
    command: null,
    extraArgs: ['--append-system-prompt', 'be brief'],
    options: {},
    resumeSessionId: null,
  };

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
