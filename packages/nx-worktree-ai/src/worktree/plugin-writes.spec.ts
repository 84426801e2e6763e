import { existsSync, statSync } from 'node:fs';
import { removeDir, tempDir } from '@testing/temp';
import { pluginWritesPath, pluginWritesSince, recordPluginWrites, refWrite, type PluginWrite } from './plugin-writes';

describe('plugin writes', () => {
  let repo: { commonDir: string };
  beforeEach(() => {
    repo = { commonDir: tempDir('nxwa-plugin-writes-') };
  });
  afterEach(() => removeDir(repo.commonDir));

  const fill = (t: number) => {
    // Eleven entries of ~100 kB: the record passes its 1 MiB limit.
    for (let i = 0; i < 11; i++) recordPluginWrites(repo, [{ kind: 'file', path: `${'p'.repeat(100_000)}/${t}-${i}`, sig: 'absent' }], t);
  };

  it('returns the entries recorded at or after a time', () => {
    recordPluginWrites(repo, [refWrite('refs/heads/ai/a/x', 'a'.repeat(40))], 1000);
    recordPluginWrites(repo, [refWrite('refs/heads/ai/b/y', 'b'.repeat(40)), { kind: 'file', path: 'README.md', sig: 'absent' }], 2000);
    expect(pluginWritesSince(repo, 1500)).toEqual([
      { kind: 'ref', ref: 'refs/heads/ai/b/y', oid: 'b'.repeat(40), t: 2000, pid: process.pid },
      { kind: 'file', path: 'README.md', sig: 'absent', t: 2000, pid: process.pid },
    ]);
  });

  it('moves a full record aside instead of rewriting it, and reads both generations', () => {
    fill(1000);
    expect(statSync(pluginWritesPath(repo)).size).toBeGreaterThan(1024 * 1024);
    recordPluginWrites(repo, [refWrite('refs/heads/ai/a/x', null)], 2000);
    expect(existsSync(`${pluginWritesPath(repo)}.1`)).toBe(true);
    expect(statSync(pluginWritesPath(repo)).size).toBeLessThan(1000);
    expect(pluginWritesSince(repo, 1000)).toHaveLength(12);
    expect(pluginWritesSince(repo, 2000)).toEqual([{ kind: 'ref', ref: 'refs/heads/ai/a/x', oid: null, t: 2000, pid: process.pid }]);
    // The next move aside drops the oldest generation (the entries of 1000).
    fill(3000);
    recordPluginWrites(repo, [refWrite('refs/heads/ai/a/x', 'c'.repeat(40))], 4000);
    expect(pluginWritesSince(repo, 0).map((w) => (w as PluginWrite & { t: number }).t)).toEqual([2000, ...Array(11).fill(3000), 4000]);
  });

  it('reads back from the end only to the first entry older than the asked time by a minute, allowing for late appends', () => {
    const at = (t: number) => recordPluginWrites(repo, [{ kind: 'file', path: `f${t}`, sig: 'absent' }], t);
    // Written first but never read: the entry of 1000 below is older than the cut-off, so the
    // reader stops there (the record is in append order; it is not read whole).
    at(200_000);
    at(1_000);
    at(199_000); // older than asked, within the minute: read past, not returned
    at(200_500);
    at(199_990); // stamped before the one above, appended after it
    expect(pluginWritesSince(repo, 199_990).map((w) => (w as PluginWrite & { t: number }).t)).toEqual([200_500, 199_990]);
  });
});
