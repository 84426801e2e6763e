import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFixture, resultOf } from './__fixtures__/malformed';
import { outcomeOf as outcome, agentResult } from './__fixtures__/request';
import { claudeAdapter } from './claude';
import { createClaudeParser } from './stream-json';
import type { AgentEvent } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'claude');
const TRANSCRIPTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl') || f.endsWith('.json'));
const parseFile = (name: string): AgentEvent[] => parseFixture(createClaudeParser, join(FIXTURES, name));

function classifyFile(name: string, exitCode: number) {
  return claudeAdapter.classify(outcome(resultOf(parseFile(name)), exitCode));
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
    expect(resultOf(events)).toEqual(agentResult({ message: 'Done: file written.', sessionId: 'eec12db7-49b2-44cd-a215-a80890154fd3', turns: 2, tokens: { input: 200, output: 40, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.0016 }));
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
    expect(resultOf(parseFile('json-error-max-turns.json'))).toEqual(agentResult({ isError: true, reason: 'max_turns', message: 'Reached maximum number of turns (1)', sessionId: '05af13fe-8b23-4012-81a2-aebe20af6d4e', turns: 2, tokens: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.0008 }));
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
      result: agentResult({ permissionDenials: ['unknown tool'] }),
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
