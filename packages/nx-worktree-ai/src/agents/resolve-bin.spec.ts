import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { removeDir, tempDir } from '@testing/temp';
import { agentVersion, resolveAgentBin } from './resolve-bin';

const REPO_ROOT = resolve(__dirname, '../../../..');

describe('resolveAgentBin', () => {
  let root: string;
  let pathDir: string;
  const savedPath = process.env.PATH;

  function script(path: string, body: string, mode = 0o755): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, mode);
    return path;
  }

  beforeEach(() => {
    root = tempDir('nxwa-bin-');
    pathDir = tempDir('nxwa-path-');
    process.env.PATH = ['', 'relative/dir', pathDir, savedPath].join(delimiter);
  });

  afterEach(() => {
    process.env.PATH = savedPath;
    removeDir(root);
    removeDir(pathDir);
  });

  it('prefers the workspace node_modules/.bin over PATH', () => {
    const local = script(join(root, 'node_modules', '.bin', 'fake-agent'), 'echo local');
    script(join(pathDir, 'fake-agent'), 'echo global');
    expect(resolveAgentBin('fake-agent', root)).toBe(local);
  });

  it('falls back to PATH, skipping empty and relative entries', () => {
    const global = script(join(pathDir, 'fake-agent'), 'echo global');
    expect(resolveAgentBin('fake-agent', root)).toBe(global);
  });

  it('skips files that are not executable, and directories', () => {
    script(join(root, 'node_modules', '.bin', 'fake-agent'), 'echo local', 0o644);
    mkdirSync(join(pathDir, 'fake-agent'));
    expect(resolveAgentBin('fake-agent', root)).toBeNull();
  });

  it('returns null when the CLI is nowhere', () => {
    expect(resolveAgentBin('no-such-agent-cli', root)).toBeNull();
    expect(resolveAgentBin('', root)).toBeNull();
  });

  it('resolves a path with a slash against the workspace root', () => {
    const tool = script(join(root, 'tools', 'gen.sh'), 'echo gen');
    expect(resolveAgentBin('./tools/gen.sh', root)).toBe(tool);
    expect(resolveAgentBin(tool, '/')).toBe(tool);
  });

  it('uses an override (path or name) before anything else, and rejects a wrong one', () => {
    script(join(root, 'node_modules', '.bin', 'fake-agent'), 'echo local');
    const custom = script(join(root, 'bin', 'custom-agent'), 'echo custom');
    const onPath = script(join(pathDir, 'other-agent'), 'echo other');
    expect(resolveAgentBin('fake-agent', root, 'bin/custom-agent')).toBe(custom);
    expect(resolveAgentBin('fake-agent', root, 'other-agent')).toBe(onPath);
    expect(() => resolveAgentBin('fake-agent', root, 'bin/missing')).toThrow('agentBin "bin/missing" is not an executable file');
  });

  it('finds the real claude of this repository', () => {
    expect(resolveAgentBin('claude', REPO_ROOT)).toBe(join(REPO_ROOT, 'node_modules', '.bin', 'claude'));
  });

  describe('agentVersion', () => {
    it('returns the first line the CLI prints', async () => {
      const bin = script(join(root, 'agent'), 'echo; echo "1.2.3 (Fake Agent)"; echo "extra"');
      await expect(agentVersion(bin, ['--version'])).resolves.toBe('1.2.3 (Fake Agent)');
    });

    it('asks the real claude', async () => {
      const version = await agentVersion(resolveAgentBin('claude', REPO_ROOT)!, ['--version']);
      expect(version).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)$/);
    });

    it('is null for agents without a version command', async () => {
      await expect(agentVersion('/nonexistent', [])).resolves.toBeNull();
    });

    it('explains a failing, silent or hanging CLI', async () => {
      const failing = script(join(root, 'failing'), 'echo "config is broken" >&2; exit 3');
      await expect(agentVersion(failing, ['--version'])).rejects.toThrow(`\`${failing} --version\` failed (exit code 3): config is broken`);
      const silent = script(join(root, 'silent'), 'exit 0');
      await expect(agentVersion(silent, ['-v'])).rejects.toThrow(`\`${silent} -v\` printed no version`);
      const hanging = script(join(root, 'hanging'), 'exec sleep 30');
      await expect(agentVersion(hanging, ['--version'], 300)).rejects.toThrow(`\`${hanging} --version\` did not answer within 0.3s`);
      await expect(agentVersion(join(root, 'missing'), ['--version'])).rejects.toThrow('could not start');
    });
  });
});
