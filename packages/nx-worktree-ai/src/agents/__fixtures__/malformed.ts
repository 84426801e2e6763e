import { readFileSync } from 'node:fs';
import type { AgentEvent, LineParser } from '../types';

/** Lines no parser understands: each must come back as exactly one `unknown` event. */
export const MALFORMED_LINES: [string, string][] = [
  ['truncated JSON', '{"type":"assistant","message":{"content":[{"type":"te'],
  ['binary noise', '\u0000\u0001\uFFFD\u00ff\u001b[31mPK\u0003\u0004'],
  ['an unknown event type', '{"type":"brand_new_event","data":{"x":1}}'],
  ['a JSON array', '[1,2,3]'],
  ['JSON null', 'null'],
  ['a JSON string', '"result"'],
  ['a number', '42'],
  ['no type', '{"subtype":"init"}'],
  ['a non-string type', '{"type":7}'],
  ['plain text', 'Error: something went wrong'],
];

/** Pseudo-random bytes (fixed seed) decoded as UTF-8, split on newlines like the process runner does. */
export function noiseLines(count = 200, seed = 7): string[] {
  const bytes = Buffer.alloc(count * 16);
  let s = seed;
  for (let i = 0; i < bytes.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = s % 256;
  }
  return bytes.toString('utf8').split('\n');
}

/**
 * Runs a fresh parser over every truncation of every line of a fixture: nothing throws, and a cut
 * line (not valid JSON) is an unknown event.
 */
export function everyTruncation(createParser: () => LineParser, file: string, step = 53): void {
  const parse = createParser();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    for (let cut = 1; cut < line.length; cut += step) {
      const piece = line.slice(0, cut);
      const events: AgentEvent[] = parse(piece);
      if (isJson(piece)) continue;
      if (piece.trim() === '') expect(events).toEqual([]);
      else expect(events).toEqual([{ kind: 'unknown', line: piece }]);
    }
  }
  parse.end?.();
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The one result event of a run's events (asserts there is exactly one). */
export function resultOf(events: AgentEvent[]): Extract<AgentEvent, { kind: 'result' }>['result'] {
  const results = events.filter((e): e is Extract<AgentEvent, { kind: 'result' }> => e.kind === 'result');
  expect(results).toHaveLength(1);
  return results[0].result;
}

/** Every line of a fixture through one parser, then its end(). */
export function parseFixture(createParser: () => LineParser, file: string): AgentEvent[] {
  const parse = createParser();
  const events = readFileSync(file, 'utf8').split('\n').flatMap((line) => parse(line));
  return [...events, ...(parse.end?.() ?? [])];
}

/** The options (`--flag`, `-f`, `--flag=value` -> `--flag`) of an argv, in order. */
export function flagsOf(args: string[]): string[] {
  return args.filter((a) => /^--?[A-Za-z]/.test(a)).map((a) => a.split('=')[0]);
}

/** Whether a help text lists `flag` as an option. */
export function helpLists(help: string, flag: string): boolean {
  const escaped = flag.replace(/[-[\]{}()*+?.,\\^$|#]/g, '\\$&');
  return new RegExp(`(^|[\\s,])${escaped}([\\s,=\\[<]|$)`, 'm').test(help);
}
