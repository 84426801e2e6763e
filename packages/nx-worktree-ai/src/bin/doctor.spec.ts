import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitRepo, removeDir, tempDir } from '@testing/temp';
import { main } from './nx-worktree-ai';

/**
 * `nx-worktree-ai doctor` against the real CLIs of this repository (claude, codex, gemini in
 * node_modules/.bin), the real Nx and git, in temp workspaces whose node_modules links to the repo's.
 */
jest.setTimeout(60_000);

const REPO_NODE_MODULES = resolve(__dirname, '../../../../node_modules');
const CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CODEX_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'AMP_API_KEY'];
const savedEnv = { ...process.env };
const dirs: string[] = [];

beforeEach(() => {
  // No credential of the machine running the tests may count: empty homes, no key variables.
  const home = tempDir('nxwa-doctor-home-');
  dirs.push(home);
  for (const name of CREDENTIAL_VARS) delete process.env[name];
  Object.assign(process.env, { HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), CODEX_HOME: join(home, '.codex'), XDG_DATA_HOME: join(home, '.local', 'share') });
});
afterEach(() => {
  process.env = { ...savedEnv };
});
afterAll(() => dirs.forEach(removeDir));

function workspace(batches: Record<string, string>, nxJson: object = { plugins: ['nx-worktree-ai'] }): string {
  const files: Record<string, string> = { 'nx.json': JSON.stringify(nxJson), '.gitignore': 'node_modules\n', 'libs/auth/project.json': '{ "name": "auth" }\n' };
  for (const [name, frontmatter] of Object.entries(batches)) files[`libs/auth/ai/${name}.ai.md`] = `---\n${frontmatter}---\nWork.\n`;
  const root = gitRepo(files, 'nxwa-doctor-');
  dirs.push(root);
  symlinkSync(REPO_NODE_MODULES, join(root, 'node_modules'), 'dir');
  return root;
}

async function doctor(cwd: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', ...args], { cwd, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The line of one check, spaces collapsed: "ok claude 2.1.330 at ...". */
function line(out: string, what: string): string {
  const found = out.split('\n').find((l) => new RegExp(`^\\s+\\S+\\s+${what}\\s{2}`).test(l));
  return found?.trim().replace(/\s{2,}/g, ' ') ?? `(no ${what} line)`;
}

describe('nx-worktree-ai doctor', () => {
  it('a ready workspace: exit 0, each agent in use with its tested version; credentials named, never printed', async () => {
    const root = workspace({ module: 'outputs: [src/module/**]\n', tests: 'agent: codex\noutputs: [src/tests/**]\n' });
    process.env.ANTHROPIC_API_KEY = 'sk-ant-doctor-secret-0123456789';
    process.env.CODEX_API_KEY = 'sk-codex-doctor-secret-0123456789';
    const res = await doctor(join(root, 'libs', 'auth'));
    expect(res.out).not.toMatch(/doctor-secret/);
    expect(line(res.out, 'Node')).toBe(`ok Node ${process.versions.node} (nx-worktree-ai needs >=20.19)`);
    expect(line(res.out, 'Nx')).toMatch(/^ok Nx 24\.\d+\.\d+ \(supported: >=22\.0\.0 <25\.0\.0\)$/);
    expect(line(res.out, 'git')).toMatch(/^ok git \d+\.\d+\.\d+$/);
    expect(line(res.out, 'git repository')).toMatch(new RegExp(`^ok git repository ${root}, HEAD [0-9a-f]{12}$`));
    expect(line(res.out, 'claude')).toBe('ok claude 2.1.330 at node_modules/.bin/claude (used by auth:module; tested 2.1.330)');
    expect(line(res.out, 'claude credentials')).toBe('ok claude credentials ANTHROPIC_API_KEY is set');
    expect(line(res.out, 'codex')).toBe('ok codex 0.169.0 at node_modules/.bin/codex (used by auth:tests; tested 0.169.0)');
    expect(line(res.out, 'codex credentials')).toBe('ok codex credentials CODEX_API_KEY is set');
    // gemini is installed but no batch uses it: not checked without --all.
    expect(res.out).not.toMatch(/gemini/);
    expect(res.out.split('\n').filter((l) => /^\s+FAIL/.test(l))).toEqual([]);
    expect(res.code).toBe(0);
  });

  it('fails, naming the fix, for what a run would miss: credentials, a program, the plugin', async () => {
    const root = workspace({ tests: 'agent: codex\noutputs: [src/tests/**]\n', gen: 'agent: command\ncommand: [no-such-generator-xyz, "{promptFile}"]\noutputs: [src/gen/**]\n' }, {});
    const res = await doctor(root);
    expect(res.code).toBe(1);
    expect(line(res.out, 'plugin')).toBe('FAIL plugin nx-worktree-ai is not in nx.json "plugins", so batch files get no targets: run npx nx g nx-worktree-ai:init');
    expect(line(res.out, 'codex credentials')).toBe(
      'FAIL codex credentials none found: set CODEX_API_KEY, or run `codex login` (a custom model provider reads the variable its env_key names)',
    );
    expect(line(res.out, 'command no-such-generator-xyz')).toBe('FAIL command no-such-generator-xyz not found in node_modules/.bin or on PATH (used by auth:gen)');
    expect(res.out).toMatch(/\n3 problem\(s\) to fix before batches can run/);

    // A login file counts (its content is never read).
    mkdirSync(join(process.env.HOME!, '.codex'), { recursive: true });
    writeFileSync(join(process.env.HOME!, '.codex', 'auth.json'), '{}');
    expect(line((await doctor(root)).out, 'codex credentials')).toBe(`ok codex credentials login file ${join(process.env.HOME!, '.codex', 'auth.json')}`);
  });

  it('warns about a CLI outside the tested range with the install command that gets the tested one', async () => {
    const bin = join(tempDir('nxwa-doctor-bin-'), 'claude-2.0');
    dirs.push(resolve(bin, '..'));
    writeFileSync(bin, '#!/bin/sh\necho "2.0.1 (Claude Code)"\n');
    chmodSync(bin, 0o755);
    process.env.ANTHROPIC_API_KEY = 'x';
    const root = workspace({ module: 'outputs: [src/module/**]\n' }, { plugins: ['nx-worktree-ai'], targetDefaults: { 'nx-worktree-ai:generate': { options: { agentBin: bin } } } });
    const res = await doctor(root);
    expect(line(res.out, 'claude')).toBe(`warn claude 2.0.1 at ${bin} (used by auth:module) is older than the tested 2.1.330: npm i -D @anthropic-ai/claude-code@^2.1.330`);
    expect(res.code).toBe(0);
  });

  it('--all: every agent, the ones nobody uses only as information; --json', async () => {
    const root = workspace({});
    const res = await doctor(root, '--all', '--json');
    const report = JSON.parse(res.out) as { checks: Array<{ status: string; what: string; detail: string }>; failed: number };
    const of = (what: string) => report.checks.find((c) => c.what === what);
    expect(of('batches')).toEqual({ status: 'info', what: 'batches', detail: 'none yet: the checks below are for claude, the default agent' });
    // claude is the default agent: its missing credentials fail; codex is installed but unused.
    expect(of('claude credentials')?.status).toBe('fail');
    expect(of('codex')).toMatchObject({ status: 'ok', detail: '0.169.0 at node_modules/.bin/codex (not used here; tested 0.169.0)' });
    expect(of('codex credentials')?.status).toBe('info');
    expect(of('qwen')).toMatchObject({ status: expect.stringMatching(/^(info|ok)$/) });
    expect(report.failed).toBe(report.checks.filter((c) => c.status === 'fail').length);
    expect(res.code).toBe(1);
  });
});
