import { readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tempDirs } from './__fixtures__/temp-dirs';
import { prepareGeminiHome, readSettings } from './gemini-home';

const dir = tempDirs('gemini-spec-');

describe('prepareGeminiHome', () => {
  it('runs with the same settings share one overlay', () => {
    const home = dir();
    const files = join(dir(), 'gemini-files');
    const homes = Array.from({ length: 5 }, () => prepareGeminiHome(files, home, { model: { maxSessionTurns: 3 } }));
    expect(new Set(homes).size).toBe(1);
    expect(readdirSync(files)).toEqual([basename(homes[0])]);
  });

  it('a user without ~/.gemini gets one with the folders gemini writes sessions to, nothing else', () => {
    const home = dir();
    prepareGeminiHome(join(dir(), 'gemini-files'), home, { model: { maxSessionTurns: 2 } });
    expect(readdirSync(join(home, '.gemini')).sort()).toEqual(['history', 'tmp']);
  });
});

describe('settings files', () => {
  it('reads JSON with comments and trailing commas, as gemini does; {} when absent or broken', () => {
    const d = dir();
    writeFileSync(join(d, 'a.json'), '{ "a": "http://x//y", /* c */ "b": [1, 2,], // tail\n}');
    expect(readSettings(join(d, 'a.json'))).toEqual({ a: 'http://x//y', b: [1, 2] });
    writeFileSync(join(d, 'b.json'), '{ broken');
    expect(readSettings(join(d, 'b.json'))).toEqual({});
    expect(readSettings(join(d, 'missing.json'))).toEqual({});
    writeFileSync(join(d, 'c.json'), '{"s": "a \\" // b"}');
    expect(readSettings(join(d, 'c.json'))).toEqual({ s: 'a " // b' });
    // A comment makes it JSONC: text in strings that looks like a trailing comma stays as written.
    writeFileSync(join(d, 'd.json'), '{\n  // mine\n  "p": "x,}", "q": ["y, ]"],\n}');
    expect(readSettings(join(d, 'd.json'))).toEqual({ p: 'x,}', q: ['y, ]'] });
  });
});
