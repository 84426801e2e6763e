import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { everyTruncation, MALFORMED_LINES, noiseLines, parseFixture, resultOf } from './__fixtures__/malformed';
import { runRequest, outcomeOf, agentResult } from './__fixtures__/request';
import { buildCursorInvocation, createCursorParser, CURSOR_INSTALL, cursorAdapter } from './cursor';
import { notInstalled } from './failures';

const FIXTURES = join(__dirname, '__fixtures__', 'cursor');
const reference = readFileSync(join(FIXTURES, 'agent-cli-reference-others.md'), 'utf8');
const parseFile = () => parseFixture(createCursorParser, join(FIXTURES, 'cursor-written-stream.jsonl'));

const request = runRequest({ prompt: 'You are working on "auth"\n- write src/auth/login.ts', model: 'sonnet-4' });

const outcome = outcomeOf;

describe('buildCursorInvocation', () => {
  it('is the reference command line, prompt last', () => {
    const { args, bin, stdin } = buildCursorInvocation({ ...request, model: null });
    expect(reference).toContain(`\`${[bin, ...args.slice(0, -1)].join(' ')}\``);
    expect(args.at(-1)).toBe(request.prompt);
    expect(stdin).toBeNull();
  });

  it('passes model and resume before agentArgs and the prompt', () => {
    const args = buildCursorInvocation({ ...request, resumeSessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff', extraArgs: ['--api-key-file', 'x'] }).args;
    expect(args).toEqual(['-p', '--output-format', 'stream-json', '-f', '--model', 'sonnet-4', '--resume', 'c6b62c6f-7ead-4fd6-9922-e952131177ff', '--api-key-file', 'x', request.prompt]);
  });

  it('cursor is not on npm: the not-installed message says how to install it', () => {
    expect(cursorAdapter.npmPackage).toBeNull();
    expect(notInstalled(cursorAdapter.bin, cursorAdapter.npmPackage, cursorAdapter.install).message).toBe(
      `the agent CLI "cursor-agent" was not found in node_modules/.bin or on PATH: ${CURSOR_INSTALL} (or set the executor option agentBin).`,
    );
  });
});

describe('cursor parser', () => {
  it('cursor-written-stream.jsonl: init, messages, tool_call started/completed, a result without usage', () => {
    const events = parseFile();
    expect(events.filter((e) => e.kind !== 'result')).toEqual([
      { kind: 'init', sessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff', model: 'Claude 4 Sonnet' },
      { kind: 'message', text: 'I will write the file.' },
      { kind: 'tool-use', id: 'toolu_01', tool: 'Write', detail: 'src/auth/login.ts' },
      { kind: 'tool-result', id: 'toolu_01', ok: true, text: null },
      { kind: 'tool-use', id: 'toolu_02', tool: 'Shell', detail: 'git push origin main' },
      { kind: 'tool-result', id: 'toolu_02', ok: false, text: 'Denied by Shell(git push)' },
      { kind: 'tool-use', id: 'toolu_03', tool: 'todo_write', detail: null },
      { kind: 'message', text: 'Done: src/auth/login.ts written.' },
    ]);
    expect(resultOf(events)).toEqual(agentResult({ message: 'I will write the file.Done: src/auth/login.ts written.', sessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff', permissionDenials: ['Shell'] }));
    expect(cursorAdapter.classify(outcome(resultOf(events), 0))).toBeNull();
  });

  it('a rejected write fails the batch', () => {
    const parse = createCursorParser();
    parse('{"type":"tool_call","subtype":"completed","call_id":"c","tool_call":{"editToolCall":{"args":{"path":"a.ts"},"result":{"rejected":{"reason":"denied"}}}}}');
    const [event] = parse('{"type":"result","subtype":"success","is_error":false,"session_id":"s"}');
    expect(cursorAdapter.classify(outcome(event.kind === 'result' ? event.result : null, 0))?.kind).toBe('permission-denied');
  });

  it('failures come as a non-zero exit and stderr', () => {
    expect(cursorAdapter.classify(outcome(null, 1, { stderrTail: 'Error: Authentication required. Please run cursor-agent login or set CURSOR_API_KEY\n' }))?.message).toBe(
      'cursor-agent is not logged in: set CURSOR_API_KEY (or run `cursor-agent login`)',
    );
    expect(cursorAdapter.classify(outcome(null, 1, { stderrTail: 'Error: 429 Too Many Requests\n' }))?.kind).toBe('rate-limited');
  });
});

describe('cursor parser over malformed lines', () => {
  it.each(MALFORMED_LINES)('%s is kept as unknown', (_, line) => {
    expect(createCursorParser()(line)).toEqual([{ kind: 'unknown', line }]);
  });

  it('odd tool_call lines are unknown, never a crash', () => {
    const parse = createCursorParser();
    for (const line of [
      '{"type":"tool_call","subtype":"started","tool_call":null}',
      '{"type":"tool_call","subtype":"started","tool_call":{}}',
      '{"type":"tool_call","subtype":"paused","tool_call":{"readToolCall":{"args":{}}}}',
    ]) {
      expect(parse(line)).toEqual([{ kind: 'unknown', line }]);
    }
    expect(parse('{"type":"tool_call","subtype":"started","tool_call":{"function":{"name":"x","arguments":"{not json"}}}')).toEqual([{ kind: 'tool-use', id: null, tool: 'x', detail: null }]);
  });

  it('survives every truncation and binary noise', () => {
    everyTruncation(createCursorParser, join(FIXTURES, 'cursor-written-stream.jsonl'));
    const parse = createCursorParser();
    for (const line of noiseLines()) expect(() => parse(line)).not.toThrow();
  });
});
