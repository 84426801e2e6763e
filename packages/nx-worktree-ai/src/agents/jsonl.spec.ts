import { MALFORMED_LINES } from './__fixtures__/malformed';
import { jsonLinesParser } from './jsonl';

describe('jsonLinesParser', () => {
  it('hands typed events to the handler with their line; blank lines give nothing', () => {
    const parse = jsonLinesParser((event, line) => [{ kind: 'message', text: `${event.type}:${line.length}` }]);
    expect(parse('{"type":"init"}')).toEqual([{ kind: 'message', text: 'init:15' }]);
    expect(parse('   ')).toEqual([]);
    expect(parse.end).toBeUndefined();
  });

  it.each(MALFORMED_LINES.filter(([label]) => label !== 'an unknown event type'))('%s: one unknown event, shown to the `other` hook', (_label, line) => {
    const others: string[] = [];
    const parse = jsonLinesParser(() => [], { other: (l) => others.push(l) });
    expect(parse(line)).toEqual([{ kind: 'unknown', line }]);
    expect(others).toEqual([line]);
  });

  it('a handler or end that throws gives an unknown event or nothing, never a throw', () => {
    const parse = jsonLinesParser(
      () => {
        throw new TypeError('unexpected shape');
      },
      {
        end: () => {
          throw new TypeError('unexpected shape');
        },
      },
    );
    expect(parse('{"type":"x"}')).toEqual([{ kind: 'unknown', line: '{"type":"x"}' }]);
    expect(parse.end!()).toEqual([]);
  });
});
