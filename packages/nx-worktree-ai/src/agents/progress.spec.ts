import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClaudeParser } from './stream-json';
import { createCommandParser } from './command';
import { createProgress, retryLine } from './progress';
import type { AgentEvent, AgentResult } from './types';

function progressOf(fixture: string): string[] {
  const parse = createClaudeParser();
  const progress = createProgress('auth:login');
  return readFileSync(join(__dirname, '__fixtures__', 'claude', fixture), 'utf8')
    .split('\n')
    .flatMap(parse)
    .map(progress)
    .filter((line): line is string => line !== null);
}

const RESULT: AgentResult = {
  isError: false,
  reason: null,
  message: null,
  sessionId: null,
  turns: null,
  tokens: { input: 1000, output: 200, cacheRead: 56_789, cacheWrite: 34 },
  costUsd: 1.5,
  permissionDenials: [],
  apiErrorStatus: null,
};

describe('createProgress', () => {
  it('a successful write', () => {
    expect(progressOf('stream-success-write.jsonl')).toEqual([
      '[auth:login] start · claude-opus-5-5 · session eec12db7',
      '[auth:login] › I will write the file.',
      '[auth:login] turn 1 · Write hello.txt',
      '[auth:login] › Done: file written.',
      '[auth:login] done · 2 turns · 240 tokens · $0.0016',
    ]);
  });

  it('a refused write', () => {
    expect(progressOf('stream-permission-denied.jsonl')).toEqual([
      '[auth:login] start · claude-opus-5-5 · session 8c2c62f0',
      '[auth:login] › I will write the file.',
      '[auth:login] turn 1 · Write hello.txt',
      "[auth:login] turn 1 · Write failed: Claude requested permissions to write to /home/dev/project/hello.txt, but you haven't granted it ye…",
      '[auth:login] › Done: file written.',
      '[auth:login] done · 2 turns · 240 tokens · $0.0016 · refused Write',
    ]);
  });

  it('counts turns as model rounds, like claude does', () => {
    const lines = progressOf('stream-denied-git-accept-edits.jsonl');
    expect(lines.filter((l) => / turn \d+ · (Bash|Write) [^f]/.test(l))).toEqual([
      '[auth:login] turn 1 · Bash git push origin main',
      '[auth:login] turn 2 · Bash git reset --hard HEAD',
      '[auth:login] turn 3 · Write hello.txt',
      '[auth:login] turn 4 · Bash echo hello && git stash list',
    ]);
    expect(lines.at(-1)).toBe('[auth:login] done · 5 turns · 600 tokens · $0.0020 · refused Bash');
  });

  it('retries and failures', () => {
    expect(progressOf('stream-401.jsonl')).toEqual([
      '[auth:login] start · claude-opus-5-5 · session b9ef597c',
      '[auth:login] retry 1 (HTTP 401)',
      '[auth:login] › Invalid API key · Fix external API key',
      '[auth:login] failed (auth) · 1 turn · 0 tokens · $0.0000',
    ]);
    expect(progressOf('json-error-max-turns.json')).toEqual(['[auth:login] failed (max_turns) · 2 turns · 120 tokens · $0.0008']);
  });

  it('formats cache reads apart, big numbers and dollars', () => {
    const progress = createProgress('p:b');
    expect(progress({ kind: 'result', result: RESULT })).toBe('[p:b] done · 0 turns · 1,234 tokens (+56,789 cached) · $1.50');
    const unknownUsage: AgentResult = { ...RESULT, tokens: { input: null, output: null, cacheRead: null, cacheWrite: null }, costUsd: null, turns: 3 };
    expect(progress({ kind: 'result', result: unknownUsage })).toBe('[p:b] done · 3 turns');
  });

  it('prints nothing for unknown lines and successful tool results', () => {
    const progress = createProgress('p:b');
    expect(progress({ kind: 'unknown', line: '{"type":"x"}' })).toBeNull();
    expect(progress({ kind: 'tool-result', id: 'a', ok: true, text: 'ok' })).toBeNull();
  });

  it('shortens long and multi-line messages to one line', () => {
    const line = createProgress('p:b')({ kind: 'message', text: `first\n\nsecond ${'y'.repeat(300)}` });
    expect(line).toMatch(/^\[p:b\] › first second y+…$/);
    expect(line!.length).toBeLessThanOrEqual('[p:b] › '.length + 120);
  });

  it('retry without a status shows the message', () => {
    const event: AgentEvent = { kind: 'retry', attempt: null, status: null, message: 'overloaded' };
    expect(createProgress('p:b')(event)).toBe('[p:b] retry (overloaded)');
  });

  it('formats the command agent the same way', () => {
    const parse = createCommandParser();
    const progress = createProgress('docs:readme');
    expect(['writing README.md', '', 'done'].flatMap(parse).map(progress)).toEqual(['[docs:readme] › writing README.md', '[docs:readme] › done']);
  });
});

describe('retryLine and turn counting', () => {
  it('formats the executor retry like the other progress lines', () => {
    expect(retryLine('auth:login', 2, 3, 4100, { kind: 'rate-limited', message: '' })).toBe('[auth:login] retry 2/3 in 4.1s (rate limited)');
    expect(retryLine('a:b', 3, 3, 65_000, { kind: 'overloaded', message: '' })).toBe('[a:b] retry 3/3 in 1m5s (overloaded)');
    expect(retryLine('a:b', 2, 4, 250, { kind: 'overloaded', message: '' })).toBe('[a:b] retry 2/4 in 250ms (overloaded)');
  });

  it('counts model rounds for CLIs that report no turn count', () => {
    const progress = createProgress('p:b');
    const events: AgentEvent[] = [
      { kind: 'message', text: 'a' },
      { kind: 'tool-use', id: '1', tool: 'Write', detail: null },
      { kind: 'tool-result', id: '1', ok: true, text: null },
      { kind: 'message', text: 'b' },
    ];
    events.forEach(progress);
    expect(progress.turns()).toBe(2);
  });
});
