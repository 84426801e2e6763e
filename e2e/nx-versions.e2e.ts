/**
 * The peer range, tested: the packed plugin installed with npm next to the lowest, a middle and the
 * highest Nx it supports (`nx` and `@nx/devkit` are both peers, ">=22.0.0 <25.0.0"). In each: `npm ls`
 * is clean, `nx g nx-worktree-ai:init` runs and one batch runs with the real claude CLI against the
 * scripted model. The workspaces have their own install and lock file (testing/installed-workspace.ts),
 * so Nx hashes the plugin's version for the batch target (externalDependencies).
 *
 * Override the versions: NX_WORKTREE_AI_E2E_NX_MATRIX="22.7.12:22.7.12,23.2.1:,24.0.6:" (nx:devkit, devkit
 * empty = let npm pick the peer). Keep the workspaces: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedWorkspace, npm, type InstalledWorkspace } from '../testing/installed-workspace';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../testing/scripted-model/anthropic';
import { git, runNx, stripAnsi } from '../testing/workspace';

jest.setTimeout(15 * 60_000);

const KEEP = !!process.env.NX_WORKTREE_AI_E2E_KEEP;
// nx 22 needs its own @nx/devkit (devkit 24 wants nx >= 23); from nx 23 on npm's choice of the peer fits.
const MATRIX = (process.env.NX_WORKTREE_AI_E2E_NX_MATRIX ?? '22.7.12:22.7.12,23.2.1:,24.0.6:').split(',').map((entry) => {
  const [nx, devkit] = entry.split(':');
  return { nx, devkit: devkit || undefined };
});

const BATCH = '---\nagent: claude\noutputs: [src/hello.ts]\n---\nWrite the hello module of lib.\n';

let server: AnthropicServer;
beforeAll(async () => {
  server = await startAnthropicServer({
    rules: [{ name: 'lib:hello', match: 'Write the hello module of lib.', steps: [{ write: { path: 'libs/lib/src/hello.ts', content: 'export const hello = 1;\n' } }, { text: 'Done.' }] }],
  });
});
afterAll(() => server?.close());

function log(message: string): void {
  process.stdout.write(`[e2e nx-versions] ${message}\n`);
}

describe.each(MATRIX)('with nx $nx', ({ nx, devkit }) => {
  let ws: InstalledWorkspace;
  beforeAll(() => {
    ws = installedWorkspace({
      nxVersion: nx,
      devkitVersion: devkit,
      files: { 'libs/lib/project.json': JSON.stringify({ name: 'lib' }), 'libs/lib/src/index.ts': 'export {};\n' },
      prefix: `nxwa-e2e-nx${nx.split('.')[0]}-`,
    });
    log(`nx ${nx}: npm install took ${(ws.installMs / 1000).toFixed(1)} s (${ws.root})`);
  });
  afterAll(() => {
    if (ws && !KEEP) ws.remove();
  });

  it('installs cleanly: npm ls reports no invalid or missing peer', () => {
    const ls = npm(ws.root, ['ls', '--all']);
    // (platform binaries of other systems are "UNMET OPTIONAL": what every install of nx shows)
    const problems = ls.output.split('\n').filter((l) => /\binvalid\b|\bmissing\b|UNMET (PEER )?DEPENDENCY|overridden|npm error|npm ERR!/.test(l));
    expect({ code: ls.code, problems }).toEqual({ code: 0, problems: [] });
    expect(ls.output).toContain(`nx@${nx}`);
  });

  it('runs init and one batch', async () => {
    const init = await runNx(ws, ['g', 'nx-worktree-ai:init', '--no-interactive']);
    expect({ code: init.code, output: init.code ? init.output : '' }).toEqual({ code: 0, output: '' });
    mkdirSync(join(ws.root, 'libs/lib/ai'), { recursive: true });
    writeFileSync(join(ws.root, 'libs/lib/ai/hello.ai.md'), BATCH);
    git(ws.root, 'add', '-A');
    git(ws.root, 'commit', '-qm', 'a batch');

    const show = await runNx(ws, ['show', 'project', 'lib', '--json']);
    expect(show.code).toBe(0);
    // the lock file lists the plugin, so Nx hashes its version into the batch target
    expect(JSON.parse(show.stdout).targets['ai-generate--hello'].inputs).toContainEqual({ externalDependencies: ['nx-worktree-ai'] });

    const configDir = join(ws.base, 'claude-config');
    mkdirSync(configDir, { recursive: true });
    const run = await runNx(ws, ['run', 'lib:ai-generate', '--output-style=static'], { env: claudeTestEnv(server.url, configDir) });
    log(`nx ${nx}: nx run lib:ai-generate -> exit ${run.code} in ${(run.durationMs / 1000).toFixed(1)} s`);
    expect({ code: run.code, output: run.code ? stripAnsi(run.output).slice(-3000) : '' }).toEqual({ code: 0, output: '' });
    expect(readFileSync(join(ws.root, 'libs/lib/src/hello.ts'), 'utf8')).toBe('export const hello = 1;\n');
    expect(existsSync(join(ws.root, '.nx-worktree-ai/lib/hello/result.json'))).toBe(true);
    // the worktree is gone, and with it its base folder under TMPDIR
    expect(readdirSync(ws.tmpDir).filter((name) => name.startsWith('nx-worktree-ai'))).toEqual([]);
  });
});
