import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { outcomeOf, agentResult } from './__fixtures__/request';
import { classifyGemini } from './gemini';
import { createGeminiParser } from './gemini-parser';
import { createProgress } from './progress';
import type { AgentEvent } from './types';

const FIXTURES = join(__dirname, '__fixtures__', 'gemini');
const fixture = (name: string) => join(FIXTURES, name);
const TRANSCRIPTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl'));
const CWD = '/home/dev/project';
const parseFile = (name: string) => parseFixture(() => createGeminiParser(CWD), fixture(name));

function run(name: string, exitCode: number): { events: AgentEvent[]; failure: ReturnType<typeof classifyGemini> } {
  const events = parseFile(name);
  return { events, failure: classifyGemini(outcomeOf(resultOf(events), exitCode)) };
}

describe('gemini parser over the real transcripts', () => {
  it.each(TRANSCRIPTS)('%s: never throws, one init and one result, every line accounted for', (name) => {
    const events = parseFile(name);
    expect(events.filter((e) => e.kind === 'init')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'result')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
  });

  it('stream-success-write.jsonl: init, the message, write_file (path relative to the worktree), tokens without cost', () => {
    const { events, failure } = run('stream-success-write.jsonl', 0);
    expect(events).toEqual([
      { kind: 'init', sessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', model: 'auto' },
      { kind: 'message', text: 'I will write the file.' },
      { kind: 'tool-use', id: 'write_file__write_file_1795498631969_0', tool: 'write_file', detail: 'hello.txt' },
      { kind: 'tool-result', id: 'write_file__write_file_1795498631969_0', ok: true, text: null },
      { kind: 'message', text: 'Done: file written.' },
      {
        kind: 'result',
        result: agentResult({ message: 'Done: file written.', sessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', tokens: { input: 300, output: 60, cacheRead: 0, cacheWrite: null } }),
      },
    ]);
    expect(failure).toBeNull();
  });

  it('joins streamed assistant deltas into one message, shown before the next event', () => {
    const parse = createGeminiParser(CWD);
    const delta = (content: string) => JSON.stringify({ type: 'message', role: 'assistant', content, delta: true });
    expect(parse(delta('I will '))).toEqual([]);
    expect(parse(delta('write it.'))).toEqual([]);
    expect(parse(JSON.stringify({ type: 'tool_use', tool_name: 'write_file', tool_id: 't1', parameters: { file_path: `${CWD}/a.ts` } }))).toEqual([
      { kind: 'message', text: 'I will write it.' },
      { kind: 'tool-use', id: 't1', tool: 'write_file', detail: 'a.ts' },
    ]);
    expect(parse(delta('Done'))).toEqual([]);
    expect(parse.end!()).toEqual([{ kind: 'message', text: 'Done' }]);
  });

  it('prints the same progress lines as every adapter', () => {
    const progress = createProgress('auth:login');
    expect(parseFile('scripted-stream-success-tools.jsonl').map(progress).filter(Boolean)).toEqual([
      '[auth:login] start · gemini-2.5-pro · session ec261ae5',
      '[auth:login] › I will write the file.',
      '[auth:login] turn 1 · write_file src/hello.ts',
      '[auth:login] turn 2 · replace README.md',
      '[auth:login] turn 3 · run_shell_command mkdir -p out && touch out/ran',
      '[auth:login] turn 3 · run_shell_command failed: Tool "run_shell_command" not found. Did you mean one of: "update_topic", "grep_search", "replace"?',
      '[auth:login] turn 4 · read_file src/hello.ts',
      '[auth:login] turn 5 · run_shell_command cat does-not-exist.txt',
      '[auth:login] turn 5 · run_shell_command failed: Tool "run_shell_command" not found. Did you mean one of: "update_topic", "grep_search", "replace"?',
      '[auth:login] › Done: file written.',
      expect.stringMatching(/^\[auth:login\] done · 6 turns · [\d,]+ tokens \(\+[\d,]+ cached\)$/),
    ]);
  });

  it('stream-401.jsonl: rejected credentials, the key named', () => {
    const { events, failure } = run('stream-401.jsonl', 145);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'auth', apiErrorStatus: 401, sessionId: '825677ad-0791-4561-9fc9-5d3542e8fea3' });
    expect(failure?.kind).toBe('not-logged-in');
    expect(failure?.message).toMatch(/^gemini's credentials were rejected \(HTTP 401: .*API key not valid.*\): set a valid GEMINI_API_KEY/);
  });

  it('stream-max-turns.jsonl: the turn limit', () => {
    const { events, failure } = run('stream-max-turns.jsonl', 53);
    expect(resultOf(events)).toMatchObject({ isError: true, reason: 'max_turns', tokens: { input: 100, output: 20, cacheRead: 0 } });
    expect(failure?.kind).toBe('max-turns');
    expect(failure?.message).toMatch(/^gemini hit its turn limit \(Reached max session turns/);
  });

  it('scripted-stream-500.jsonl: an API error with its status and message', () => {
    const { failure } = run('scripted-stream-500.jsonl', 244);
    expect(failure?.kind).toBe('api-error');
    expect(failure?.message).toMatch(/^gemini failed with an API error \(HTTP 500: \[API Error: .*An internal error has occurred/);
  });

  it('scripted-stream-429-retried.jsonl: the CLI retried on its own (stderr only) and succeeded', () => {
    const { events, failure } = run('scripted-stream-429-retried.jsonl', 0);
    expect(failure).toBeNull();
    expect(events.filter((e) => e.kind === 'tool-use')).toEqual([{ kind: 'tool-use', id: expect.any(String), tool: 'write_file', detail: 'a.txt' }]);
  });

  it('scripted-stream-success-tools-yolo.jsonl: shell commands run in yolo mode', () => {
    const { events, failure } = run('scripted-stream-success-tools-yolo.jsonl', 0);
    expect(failure).toBeNull();
    expect(events.filter((e) => e.kind === 'tool-result').map((e) => e.kind === 'tool-result' && e.ok)).toEqual([true, true, true, true, true]);
  });

  it('json-success.json (`-o json`: one document over many lines): read at the end', () => {
    const parse = createGeminiParser(CWD);
    const lines = readFileSync(fixture('json-success.json'), 'utf8').split('\n');
    const during = lines.flatMap((line) => parse(line));
    expect(during.every((e) => e.kind === 'unknown')).toBe(true);
    expect(parse.end!()).toEqual([
      { kind: 'init', sessionId: 'e6af36fe-23d3-4864-a328-8ab60fc6ece4', model: null },
      { kind: 'message', text: 'Done: file written.' },
      {
        kind: 'result',
        result: agentResult({ message: 'Done: file written.', sessionId: 'e6af36fe-23d3-4864-a328-8ab60fc6ece4', tokens: { input: 200, output: 40, cacheRead: 0, cacheWrite: null } }),
      },
    ]);
  });
});

describe('gemini parser over malformed input', () => {
  it.each(MALFORMED_LINES)('%s: one unknown event, no crash', (_label, line) => {
    expect(createGeminiParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('unknown event types are kept as unknown and print nothing; wrong field types do not break it', () => {
    const parse = createGeminiParser();
    const line = '{"type":"thought","content":"hmm"}';
    expect(parse(line)).toEqual([{ kind: 'unknown', line }]);
    expect(createProgress('p:b')({ kind: 'unknown', line })).toBeNull();
    expect(parse('{"type":"init","session_id":5}')).toEqual([{ kind: 'init', sessionId: null, model: null }]);
    expect(parse('{"type":"tool_use","parameters":"x"}')).toEqual([{ kind: 'tool-use', id: null, tool: 'tool', detail: null }]);
    expect(parse('{"type":"result","status":"error","stats":null,"error":"x"}')).toMatchObject([{ kind: 'result', result: { isError: true, tokens: { input: null } } }]);
    expect(parse.end!()).toEqual([]);
  });

  it('binary noise and every truncation of every transcript line: no crash', () => {
    const parse = createGeminiParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
    expect(() => parse.end!()).not.toThrow();
    for (const name of TRANSCRIPTS) everyTruncation(() => createGeminiParser(CWD), fixture(name));
  });
});
