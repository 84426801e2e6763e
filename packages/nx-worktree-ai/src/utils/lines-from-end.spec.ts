import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '@testing/temp';
import { linesFromEnd } from './lines-from-end';

describe('linesFromEnd', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('nxwa-lines-');
  });
  afterEach(() => removeDir(dir));

  it('yields the lines last first across chunk borders, multi-byte characters whole, an unfinished last line too', () => {
    const file = join(dir, 'log');
    const lines = Array.from({ length: 40 }, (_, i) => `${i} ${'é'.repeat(i % 7)} ${'x'.repeat(i)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    appendFileSync(file, 'unfinished');
    // 5-byte chunks cut lines and two-byte characters everywhere.
    expect([...linesFromEnd(file, 5)]).toEqual(['unfinished', ...lines.reverse()]);
  });

  it('skips empty lines, reads nothing of a missing file, and stops reading when the caller does', () => {
    const file = join(dir, 'log');
    writeFileSync(file, 'a\n\n\nb\nc\n');
    expect([...linesFromEnd(file, 2)]).toEqual(['c', 'b', 'a']);
    expect([...linesFromEnd(join(dir, 'missing'))]).toEqual([]);
    const seen: string[] = [];
    for (const line of linesFromEnd(file)) {
      seen.push(line);
      if (line === 'b') break;
    }
    expect(seen).toEqual(['c', 'b']);
  });
});
