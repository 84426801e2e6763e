import { compareVersions, findVersion, inCaretRange, minimumOf } from './versions';

describe('versions', () => {
  it('finds the version in what a CLI prints', () => {
    expect(findVersion('2.1.330 (Claude Code)')).toBe('2.1.330');
    expect(findVersion('codex-cli 0.169.0')).toBe('0.169.0');
    expect(findVersion('GitHub Copilot CLI 1.0.102.')).toBe('1.0.102');
    expect(findVersion('no version')).toBeNull();
  });

  it('compares numerically and knows npm caret ranges, 0.x included', () => {
    expect(compareVersions('2.1.330', '2.1.99')).toBe(1);
    expect(compareVersions('20.19', '20.19.0')).toBe(0);
    expect([inCaretRange('2.1.332', '2.1.330'), inCaretRange('3.0.0', '2.1.330'), inCaretRange('2.1.197', '2.1.330')]).toEqual([true, false, false]);
    expect([inCaretRange('0.61.4', '0.61.0'), inCaretRange('0.62.0', '0.61.0')]).toEqual([true, false]);
  });

  it('reads the lowest version of simple engines ranges only', () => {
    expect(['>=22.0.0', '>=20', '^20.19.0 || >=22', '>= 16', '20.x', '*'].map(minimumOf)).toEqual(['22.0.0', '20', '20.19.0', '16', null, null]);
  });
});
