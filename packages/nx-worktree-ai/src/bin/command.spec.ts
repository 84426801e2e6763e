import { parseCommandArgs, UsageError } from './command';

const OPTIONS = { root: { type: 'string' }, json: { type: 'boolean' }, 'no-html': { type: 'boolean' } } as const;

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('no UsageError');
}

describe('parseCommandArgs', () => {
  it('reads string options in both spellings, flags, and positionals when allowed', () => {
    expect(parseCommandArgs(['push', '--root', 'a', 'origin', '--json'], OPTIONS, true)).toEqual({
      help: false,
      values: { root: 'a', json: true },
      positionals: ['push', 'origin'],
    });
    expect(parseCommandArgs(['--root=b', '--no-html'], OPTIONS)).toMatchObject({ values: { root: 'b', 'no-html': true } });
  });

  it('takes the next argument as the value even when it looks like an option', () => {
    expect(parseCommandArgs(['--root', '--json'], OPTIONS)).toMatchObject({ values: { root: '--json' } });
  });

  it('answers --help or -h in order: an error before it wins, anything after it is not read', () => {
    expect(parseCommandArgs(['--json', '-h', '--bogus'], OPTIONS)).toEqual({ help: true });
    expect(parseCommandArgs(['--help'], OPTIONS)).toEqual({ help: true });
    expect(usageError(() => parseCommandArgs(['--bogus', '--help'], OPTIONS))).toBe('unknown option --bogus');
  });

  it('names the argument it cannot read', () => {
    expect(usageError(() => parseCommandArgs(['-x'], OPTIONS))).toBe('unknown option -x');
    expect(usageError(() => parseCommandArgs(['--json=1'], OPTIONS))).toBe('unknown option --json=1');
    expect(usageError(() => parseCommandArgs(['--root'], OPTIONS))).toBe('--root needs a value');
    expect(usageError(() => parseCommandArgs(['stray'], OPTIONS))).toBe('unknown option stray');
    expect(usageError(() => parseCommandArgs(['--', 'x'], OPTIONS, true))).toBe('unknown option --');
  });
});
