import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { enginesCheck } from '../doctor/agents';
import { getAdapter } from './registry';
import { TESTED_CLIS } from './tested';

const REPO = resolve(__dirname, '../../../..');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('the tested agent CLI versions', () => {
  it('are the ones the repository installs and its tests run (devDependencies ^<tested>, and node_modules)', () => {
    const devDependencies = readJson(join(REPO, 'package.json')).devDependencies;
    const run = Object.entries(TESTED_CLIS).filter(([, t]) => t.how === 'run');
    expect(run.map(([name]) => name).sort()).toEqual(['claude', 'codex', 'gemini']);
    for (const [name, tested] of run) {
      const pkg = getAdapter(name as 'claude').npmPackage!;
      expect({ name, range: devDependencies[pkg] }).toEqual({ name, range: `^${tested.version}` });
      expect({ name, installed: readJson(join(REPO, 'node_modules', pkg, 'package.json')).version }).toEqual({ name, installed: tested.version });
    }
  });

  it('claude 2.1.330 declares Node >= 22: the doctor says so on Node 20, and nothing on Node 22', () => {
    const bin = join(REPO, 'node_modules', '.bin', 'claude');
    expect(enginesCheck('claude', bin, '@anthropic-ai/claude-code', '20.20.2')).toMatchObject({
      status: 'warn',
      what: 'claude on Node',
      detail: expect.stringMatching(/^@anthropic-ai\/claude-code@2\.1\.330 declares Node >=22\.0\.0 and this is Node 20\.20\.2: .*\(@anthropic-ai\/claude-code@\^2\.1\.330\); Node 22 avoids both$/),
    });
    expect(enginesCheck('claude', bin, '@anthropic-ai/claude-code', '22.0.0')).toBeNull();
    // codex declares Node >= 16, gemini >= 20: fine on every Node the plugin runs on.
    expect(enginesCheck('codex', join(REPO, 'node_modules', '.bin', 'codex'), '@openai/codex', '20.19.0')).toBeNull();
    expect(enginesCheck('gemini', join(REPO, 'node_modules', '.bin', 'gemini'), '@google/gemini-cli', '20.19.0')).toBeNull();
  });
});
