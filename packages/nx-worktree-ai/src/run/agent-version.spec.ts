import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirFor } from '@testing/temp';
import { knownAgentVersion } from './agent-version';

const dir = tempDirFor('nxwa-agent-version-', { each: true });

/** A CLI that counts how often it was started and answers `--version` (or fails, exit 3). */
function fakeCli(version: string | null): string {
  const bin = join(dir.path, 'fake-cli');
  const count = join(dir.path, 'starts');
  writeFileSync(
    bin,
    `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(count)}, 'x');\n` +
      (version === null ? `console.error('not logged in'); process.exit(3);\n` : `console.log(${JSON.stringify(version)});\n`),
  );
  chmodSync(bin, 0o755);
  return bin;
}

const starts = () => readFileSync(join(dir.path, 'starts'), 'utf8').length;

describe('the agent CLI version', () => {
  it('is asked once per CLI file, and again when the file changes', async () => {
    const repo = { commonDir: join(dir.path, 'git') };
    const bin = fakeCli('1.2.3 (Fake CLI)');
    expect(await knownAgentVersion(repo, bin, ['--version'])).toBe('1.2.3 (Fake CLI)');
    expect(await knownAgentVersion(repo, bin, ['--version'])).toBe('1.2.3 (Fake CLI)');
    expect(starts()).toBe(1);
    // Updated in place: another file.
    fakeCli('1.2.4 (Fake CLI, updated)');
    expect(await knownAgentVersion(repo, bin, ['--version'])).toBe('1.2.4 (Fake CLI, updated)');
    expect(starts()).toBe(2);
  });

  it('keeps no answer from a CLI whose --version fails: each batch asks, and fails saying why', async () => {
    const repo = { commonDir: join(dir.path, 'git') };
    const bin = fakeCli(null);
    await expect(knownAgentVersion(repo, bin, ['--version'])).rejects.toThrow(/failed \(exit code 3\): not logged in/);
    await expect(knownAgentVersion(repo, bin, ['--version'])).rejects.toThrow(/exit code 3/);
    expect(starts()).toBe(2);
  });

  it('asks nothing of an agent without a version command', async () => {
    const bin = fakeCli('unused');
    expect(await knownAgentVersion({ commonDir: join(dir.path, 'git') }, bin, [])).toBeNull();
  });
});
