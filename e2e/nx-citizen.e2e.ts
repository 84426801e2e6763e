/**
 * The plugin as an Nx citizen, end to end (packed tarball, hand-built Nx workspace, no agent needed):
 * one invalid batch file never breaks the project graph or other targets, and only its own target
 * fails, naming the file and the key; after `init`, editing a prompt costs the other targets of the
 * workspace nothing (their caches still hit).
 *
 * Keep the workspaces: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkspace, nxTaskLines, runNx, stripAnsi, type Workspace } from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const KEEP = !!process.env.NX_WORKTREE_AI_E2E_KEEP;
const workspaces: Workspace[] = [];
afterAll(() => {
  if (!KEEP) workspaces.forEach((ws) => ws.remove());
});

function log(message: string): void {
  process.stdout.write(`[e2e nx-citizen] ${message}\n`);
}

async function nx(ws: Workspace, args: string[]) {
  const res = await runNx(ws, args);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s`);
  return { ...res, text: stripAnsi(res.output) };
}

/** A cacheable target that only reads files (what a build does to the cache). */
const BUILD = {
  build: {
    executor: 'nx:run-commands',
    options: { command: 'node -e "console.log(\'built\')"' },
    cache: true,
  },
};

describe('an invalid batch file', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace({
      prefix: 'nxwa-e2e-citizen-',
      projects: {
        app: { root: 'apps/app', files: { 'src/main.ts': 'export {};\n' }, projectJson: { targets: BUILD } },
        lib: { root: 'libs/lib', files: { 'src/index.ts': 'export {};\n' } },
      },
      files: {
        // `outputs` is required: this file is broken
        'libs/lib/ai/broken.ai.md': '---\nagent: claude\ndescription: no outputs here\n---\nDo it.\n',
        'libs/lib/ai/fine.ai.md': '---\nagent: claude\noutputs: [src/fine/**]\n---\nDo it.\n',
      },
      log,
    });
    workspaces.push(ws);
  });

  it('leaves `nx show projects` and the targets of other projects working', async () => {
    const projects = await nx(ws, ['show', 'projects', '--json']);
    expect(projects.code).toBe(0);
    expect(JSON.parse(projects.stdout).sort()).toEqual(['app', 'lib']);
    const build = await nx(ws, ['run', 'app:build', '--output-style=static']);
    expect(build.code).toBe(0);
    expect(nxTaskLines(build.output).get('app:build')).toBe('run');
    // the valid batch of the same project is still inferred as usual
    const lib = await nx(ws, ['show', 'project', 'lib', '--json']);
    expect(lib.code).toBe(0);
    const targets = JSON.parse(lib.stdout).targets;
    expect(targets['ai-generate--fine'].options).toEqual({ batch: 'libs/lib/ai/fine.ai.md' });
    expect(targets['ai-generate--broken'].metadata.description).toContain('Invalid batch file libs/lib/ai/broken.ai.md');
  });

  it('fails when its own target runs, naming the file and the key', async () => {
    const run = await nx(ws, ['run', 'lib:ai-generate--broken', '--output-style=static']);
    expect(run.code).not.toBe(0);
    expect(run.text).toContain('libs/lib/ai/broken.ai.md: invalid batch file');
    expect(run.text).toContain('key "outputs": missing; expected a list');
    // fixing the file makes the target a normal batch target again
    writeFileSync(join(ws.root, 'libs/lib/ai/broken.ai.md'), '---\nagent: claude\noutputs: [src/broken/**]\n---\nDo it.\n');
    const fixed = await nx(ws, ['show', 'project', 'lib', '--json']);
    expect(JSON.parse(fixed.stdout).targets['ai-generate--broken'].options).toEqual({ batch: 'libs/lib/ai/broken.ai.md' });
  });
});

describe('after init, a prompt edit', () => {
  let ws: Workspace;
  beforeAll(() => {
    // createWorkspace runs the real `nx g nx-worktree-ai:init`; app depends on lib
    ws = createWorkspace({
      prefix: 'nxwa-e2e-citizen-inputs-',
      projects: {
        lib: { root: 'libs/lib', files: { 'src/index.ts': 'export {};\n' }, projectJson: { targets: BUILD } },
        app: { root: 'apps/app', files: { 'src/main.ts': 'export {};\n' }, projectJson: { targets: BUILD, implicitDependencies: ['lib'] } },
      },
      files: {
        // the shape of nx.json that create-nx-workspace's presets write: build hashes production and ^production
        'nx.json': JSON.stringify({
          $schema: './node_modules/nx/schemas/nx-schema.json',
          analytics: false,
          namedInputs: { default: ['{projectRoot}/**/*', 'sharedGlobals'], production: ['default', '!{projectRoot}/**/*.spec.ts'], sharedGlobals: [] },
          targetDefaults: { build: { inputs: ['production', '^production'], cache: true } },
        }),
        'libs/lib/ai/docs.ai.md': '---\nagent: claude\noutputs: [docs/**]\n---\nWrite the docs.\n',
      },
      log,
    });
    workspaces.push(ws);
  });

  it('leaves build of its project and of a dependent project cache hits; its own batch target sees it', async () => {
    const nxJson = JSON.parse(readFileSync(join(ws.root, 'nx.json'), 'utf8'));
    expect(nxJson.namedInputs.default).toEqual(['{projectRoot}/**/*', 'sharedGlobals', '!{projectRoot}/**/*.ai.md']);
    expect(nxJson.namedInputs.production).toEqual(['default', '!{projectRoot}/**/*.spec.ts', '!{projectRoot}/**/*.ai.md']);
    const first = await nx(ws, ['run-many', '-t', 'build', '--output-style=static']);
    expect(first.code).toBe(0);
    expect(Object.fromEntries(nxTaskLines(first.output))).toEqual({ 'lib:build': 'run', 'app:build': 'run' });
    const batchInputs = async () => JSON.parse((await nx(ws, ['show', 'project', 'lib', '--json'])).stdout).targets['ai-generate--docs'].inputs;
    expect(await batchInputs()).toContain('{projectRoot}/ai/docs.ai.md');

    writeFileSync(join(ws.root, 'libs/lib/ai/docs.ai.md'), '---\nagent: claude\noutputs: [docs/**]\n---\nWrite better docs.\n');
    const second = await nx(ws, ['run-many', '-t', 'build', '--output-style=static']);
    expect(second.code).toBe(0);
    expect(Object.fromEntries(nxTaskLines(second.output))).toEqual({ 'lib:build': 'cache', 'app:build': 'cache' });
    // what CI runs: affected still lists both projects (a file of lib changed), and both are cache hits
    const affected = await nx(ws, ['affected', '-t', 'build', '--base=HEAD', '--output-style=static']);
    expect(Object.fromEntries(nxTaskLines(affected.output))).toEqual({ 'lib:build': 'cache', 'app:build': 'cache' });
    // a source file still counts, for the project and its dependent
    writeFileSync(join(ws.root, 'libs/lib/src/index.ts'), 'export const x = 1;\n');
    const third = await nx(ws, ['run-many', '-t', 'build', '--output-style=static']);
    expect(Object.fromEntries(nxTaskLines(third.output))).toEqual({ 'lib:build': 'run', 'app:build': 'run' });
  });
});
