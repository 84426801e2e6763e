import { logger, type CreateNodesContext, type CreateNodesResult } from '@nx/devkit';
import { removeDir, tempDir, writeFiles } from '@testing/temp';
import { createNodes, createNodesV2 } from './create-nodes';
import type { AiPluginOptions } from './options';
import { restoreNxTokens } from '../batch/nx-tokens';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A workspace on disk with `files`; returns what createNodes returns for its *.ai.md files. */
async function infer(files: Record<string, string>, options?: AiPluginOptions, extra: Partial<CreateNodesContext> = {}) {
  const root = tempDir('nxwa-plugin-');
  dirs.push(root);
  writeFiles(root, files);
  const batchFiles = Object.keys(files).filter((f) => f.endsWith('.ai.md'));
  const context = { workspaceRoot: root, nxJsonConfiguration: {}, configFiles: batchFiles, ...extra };
  return createNodes[1](batchFiles, options, context);
}

/** Runs infer, which must not throw, and returns the problems each invalid batch target prints when run, by file. */
async function inferProblems(files: Record<string, string>, options?: AiPluginOptions): Promise<Record<string, string>> {
  const result = await infer(files, options);
  const problems: Record<string, string> = {};
  for (const [file, entry] of result) {
    for (const project of Object.values((entry as CreateNodesResult).projects ?? {})) {
      for (const target of Object.values(project.targets ?? {})) {
        const invalid = target.options?.invalid as string[] | undefined;
        if (invalid) problems[file] = `${file}: invalid batch file\n${invalid.map((p) => `  - ${restoreNxTokens(p)}`).join('\n')}`;
      }
    }
  }
  return problems;
}

/** A dependsOn entry that forwards the command-line options (`--dry-run`, `--model ...`) to the batch target. */
const fwd = (target: string) => ({ target, params: 'forward' });

function batch(frontmatter: string, prompt = 'Do the work.\n'): string {
  return `---\n${frontmatter.trim()}\n---\n${prompt}`;
}

const WORKSPACE = {
  // the `nx` key makes the root package.json a project for Nx (and so for the plugin)
  'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['libs/*'], nx: {} }),
  'nx.json': '{}',
  'package-lock.json': '{}',
  'libs/auth/project.json': JSON.stringify({ name: 'auth' }),
  'libs/shared-ui/package.json': JSON.stringify({ name: '@acme/shared-ui' }),
};

function targetsOf(result: Awaited<ReturnType<typeof infer>>, file: string, root: string) {
  const entry = result.find(([f]) => f === file);
  expect(entry).toBeDefined();
  return (entry![1] as CreateNodesResult).projects![root].targets!;
}

describe('createNodes', () => {
  it('uses the **/*.ai.md glob and exports the same tuple as createNodesV2', () => {
    expect(createNodes[0]).toBe('**/*.ai.md');
    expect(createNodesV2).toBe(createNodes);
  });

  it('infers a batch target and the aggregate target, exactly', async () => {
    const result = await infer({
      ...WORKSPACE,
      'libs/auth/ai/auth-module.ai.md': batch(
        `
description: Build the auth module
agent: claude
model: sonnet
outputs: [src/auth/**, ./src/index.ts]
context: [src/types.ts, '{workspaceRoot}/docs/api.md', '{projectRoot}/README.md']
dependsOn: [auth-api, '@acme/shared-ui:theme']
`,
        'Build the auth module: login, logout.\n',
      ),
      'libs/auth/ai/auth-api.ai.md': batch('outputs: [src/api/**]', '# Write the API client\n\nMore text.\n'),
      'libs/shared-ui/ai/theme.ai.md': batch('outputs: [src/theme/**, styles]'),
    });

    expect(result.map(([file]) => file)).toEqual(['libs/auth/ai/auth-module.ai.md', 'libs/auth/ai/auth-api.ai.md', 'libs/shared-ui/ai/theme.ai.md']);
    // run-commands: Nx runs it without forking a worker process; the batches in dependency order
    const aggregate = {
      executor: 'nx:run-commands',
      options: { command: 'nx-worktree-ai apply auth --project-root=libs/auth --batches=libs/auth/ai/auth-api.ai.md,libs/auth/ai/auth-module.ai.md', cwd: '{workspaceRoot}' },
      dependsOn: [fwd('ai-generate--auth-api'), fwd('ai-generate--auth-module')],
      cache: false,
      metadata: {
        description: "Runs every AI batch of auth (auth-api, auth-module), in parallel where dependsOn allows, then applies the batches' changes to the workspace (files you changed since are kept)",
        technologies: ['nx-worktree-ai'],
      },
    };
    expect(result[0][1]).toEqual({
      projects: {
        'libs/auth': {
          targets: {
            'ai-generate--auth-module': {
              executor: 'nx-worktree-ai:generate',
              options: { batch: 'libs/auth/ai/auth-module.ai.md' },
              cache: true,
              inputs: [
                '{projectRoot}/ai/auth-module.ai.md',
                '{projectRoot}/src/types.ts',
                '{workspaceRoot}/docs/api.md',
                '{projectRoot}/README.md',
                { dependentTasksOutputFiles: '**/changes.patch', transitive: true },
                '!{projectRoot}/src/auth/**',
                '!{projectRoot}/src/index.ts',
              ],
              // Only the artifact folder: an Nx cache restore never touches a source file.
              outputs: ['{workspaceRoot}/.nx-worktree-ai/auth/auth-module'],
              dependsOn: [
                fwd('ai-generate--auth-api'),
                { projects: ['@acme/shared-ui'], target: 'ai-generate--theme', params: 'forward' },
                { dependencies: true, target: 'ai-generate', params: 'forward' },
              ],
              metadata: {
                description: 'Build the auth module',
                technologies: ['nx-worktree-ai'],
                help: {
                  command: 'npx nx run auth:ai-generate--auth-module --help',
                  example: { options: { model: 'opus', keepWorktree: true } },
                },
              },
            },
          },
          // `nx show project` lists the batch targets in one group (Nx joins the lists of all files)
          metadata: { targetGroups: { 'AI batches (ai-generate)': ['ai-generate--auth-module'] } },
        },
      },
    });
    const api = targetsOf(result, 'libs/auth/ai/auth-api.ai.md', 'libs/auth');
    expect(api['ai-generate--auth-api']).toEqual({
      executor: 'nx-worktree-ai:generate',
      options: { batch: 'libs/auth/ai/auth-api.ai.md' },
      cache: true,
      inputs: ['{projectRoot}/ai/auth-api.ai.md', { dependentTasksOutputFiles: '**/changes.patch', transitive: true }, '!{projectRoot}/src/api/**'],
      outputs: ['{workspaceRoot}/.nx-worktree-ai/auth/auth-api'],
      dependsOn: [{ dependencies: true, target: 'ai-generate', params: 'forward' }],
      metadata: {
        // never from the prompt: Nx hashes every target of a project into its tasks (a prompt edit would rebuild it)
        description: 'AI batch auth-api (ai/auth-api.ai.md)',
        technologies: ['nx-worktree-ai'],
        help: { command: 'npx nx run auth:ai-generate--auth-api --help', example: { options: { model: 'opus', keepWorktree: true } } },
      },
    });
    // the aggregate comes once per project, with its first batch file (Nx would merge duplicates' metadata arrays)
    expect(Object.keys(api)).toEqual(['ai-generate--auth-api', 'ai-generate']);
    expect(api['ai-generate']).toEqual(aggregate);
    const theme = targetsOf(result, 'libs/shared-ui/ai/theme.ai.md', 'libs/shared-ui');
    expect(theme['ai-generate--theme'].outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/@acme/shared-ui/theme']);
    expect(theme['ai-generate'].dependsOn).toEqual([fwd('ai-generate--theme')]);
  });

  it('infers the report target on the root project, once, when Nx has a root project', async () => {
    const files = { ...WORKSPACE, 'libs/auth/ai/b.ai.md': batch('outputs: [src/b/**]'), 'libs/auth/ai/a.ai.md': batch('outputs: [src/a/**]') };
    const result = await infer(files);
    const withRoot = result.filter(([, r]) => (r as CreateNodesResult).projects?.['.']);
    expect(withRoot.map(([f]) => f)).toEqual(['libs/auth/ai/a.ai.md']);
    expect((withRoot[0][1] as CreateNodesResult).projects!['.'].targets).toEqual({
      'ai-report': {
        executor: 'nx:run-commands',
        options: { command: 'nx-worktree-ai report', cwd: '{workspaceRoot}' },
        cache: false,
        metadata: {
          description: expect.stringContaining('writes .nx-worktree-ai/report.html'),
          technologies: ['nx-worktree-ai'],
          help: { command: 'npx nx-worktree-ai report --help', example: { args: ['--no-html'] } },
        },
      },
    });
    // the project entry of the batch file itself is still there
    expect(Object.keys((withRoot[0][1] as CreateNodesResult).projects!['libs/auth'].targets!)).toEqual(['ai-generate--a', 'ai-generate']);

    const renamed = await infer(files, { reportTargetName: 'ai-runs' });
    expect(Object.keys((renamed.find(([, r]) => (r as CreateNodesResult).projects?.['.'])![1] as CreateNodesResult).projects!['.'].targets!)).toEqual(['ai-runs']);
    const off = await infer(files, { reportTargetName: false });
    expect(off.some(([, r]) => (r as CreateNodesResult).projects?.['.'])).toBe(false);
    const { 'package.json': _root, ...noRootProject } = files;
    const none = await infer(noRootProject);
    expect(none.some(([, r]) => (r as CreateNodesResult).projects?.['.'])).toBe(false);
    // a root package.json Nx does not make a project (no `nx` key): no report target unless asked for by name
    const plainRoot = { ...files, 'package.json': JSON.stringify({ name: 'ws', workspaces: ['libs/*'] }) };
    expect((await infer(plainRoot)).some(([, r]) => (r as CreateNodesResult).projects?.['.'])).toBe(false);
    const asked = await infer(plainRoot, { reportTargetName: 'ai-report' });
    expect(Object.keys((asked.find(([, r]) => (r as CreateNodesResult).projects?.['.'])![1] as CreateNodesResult).projects!['.'].targets!)).toEqual(['ai-report']);
  });

  it('a batch of the root project gets its targets and the report target in one entry', async () => {
    const result = await infer({ ...WORKSPACE, 'ai/root-task.ai.md': batch('outputs: [docs/**]') });
    const root = (result.find(([f]) => f === 'ai/root-task.ai.md')![1] as CreateNodesResult).projects!['.'].targets!;
    expect(Object.keys(root)).toEqual(['ai-generate--root-task', 'ai-generate', 'ai-report']);
  });

  it('honours targetName and dependsOnProjectBatches: false', async () => {
    const result = await infer(
      {
        ...WORKSPACE,
        'libs/auth/ai/a.ai.md': batch('outputs: [src/a/**]\ndependsOn: [b]'),
        'libs/auth/ai/b.ai.md': batch('outputs: [src/b/**]'),
      },
      { targetName: 'ai', dependsOnProjectBatches: false },
    );
    const targets = targetsOf(result, 'libs/auth/ai/a.ai.md', 'libs/auth');
    expect(Object.keys(targets)).toEqual(['ai--a', 'ai']);
    // dependency outputs are hashed after the dependency ran, never as plain globs (see targets.ts)
    expect(targets['ai--a'].inputs).toEqual(['{projectRoot}/ai/a.ai.md', { dependentTasksOutputFiles: '**/changes.patch', transitive: true }, '!{projectRoot}/src/a/**']);
    expect(targets['ai--a'].dependsOn).toEqual([fwd('ai--b')]);
    expect(targets.ai.dependsOn).toEqual([fwd('ai--a'), fwd('ai--b')]);
    // a's change applies on top of b's, whatever their names
    expect(targets.ai.options.command).toBe('nx-worktree-ai apply auth --project-root=libs/auth --batches=libs/auth/ai/b.ai.md,libs/auth/ai/a.ai.md');
    const b = targetsOf(result, 'libs/auth/ai/b.ai.md', 'libs/auth')['ai--b'];
    expect(b.inputs).toEqual(['{projectRoot}/ai/b.ai.md', '!{projectRoot}/src/b/**']);
    expect(b).not.toHaveProperty('dependsOn');
  });

  it('rejects bad plugin options', async () => {
    await expect(infer(WORKSPACE, { targetName: 'a:b' } as AiPluginOptions)).rejects.toThrow(/option "targetName"/);
    await expect(infer(WORKSPACE, { nope: 1 } as AiPluginOptions)).rejects.toThrow(/unknown option\(s\) "nope"; allowed: targetName, dependsOnProjectBatches/);
  });

  it('puts a batch in the nearest project: nested projects and the root project', async () => {
    const result = await infer({
      ...WORKSPACE,
      'libs/auth/sub/project.json': '{}', // no name: Nx uses the folder name
      'libs/auth/sub/x.ai.md': batch('outputs: [gen/**]'),
      'libs/auth/deep/er/y.ai.md': batch('outputs: [deep/out/**]'),
      'tools/ai/root-batch.ai.md': batch('outputs: [generated/**]\ncontext: [\'!tools/ai/skip.md\']'),
    });
    expect(Object.keys((result.find(([f]) => f === 'libs/auth/sub/x.ai.md')![1] as CreateNodesResult).projects!)).toEqual(['libs/auth/sub']);
    expect(targetsOf(result, 'libs/auth/sub/x.ai.md', 'libs/auth/sub')['ai-generate--x'].outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/sub/x']);
    expect(targetsOf(result, 'libs/auth/deep/er/y.ai.md', 'libs/auth')['ai-generate--y'].inputs).toContain('{projectRoot}/deep/er/y.ai.md');
    const root = targetsOf(result, 'tools/ai/root-batch.ai.md', '.')['ai-generate--root-batch'];
    expect(root.options).toEqual({ batch: 'tools/ai/root-batch.ai.md' });
    expect(root.inputs).toEqual([
      '{projectRoot}/tools/ai/root-batch.ai.md',
      '!{projectRoot}/tools/ai/skip.md',
      { dependentTasksOutputFiles: '**/changes.patch', transitive: true },
      '!{projectRoot}/generated/**',
    ]);
    expect(root.outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/ws/root-batch']);
    expect(root.metadata!.help!.command).toBe('npx nx run ws:ai-generate--root-batch --help');
    expect(targetsOf(result, 'tools/ai/root-batch.ai.md', '.')['ai-generate'].options.command).toBe('nx-worktree-ai apply ws --project-root=. --batches=tools/ai/root-batch.ai.md');
  });

  it('puts targets only on projects Nx has: package.json files in the package manager workspaces, not any package.json', async () => {
    const result = await infer({
      'nx.json': '{}',
      'package.json': JSON.stringify({ name: 'ws', workspaces: ['packages/*', '!packages/skipped'] }),
      'pnpm-workspace.yaml': 'packages:\n  - tools/pnpm-*\n',
      'packages/a/package.json': JSON.stringify({ name: '@ws/a' }),
      'packages/a/ai/x.ai.md': batch('outputs: [o/**]'),
      // outside the workspaces: not a project, so its batch belongs to the project above (none here)
      'packages/a/fixtures/app/package.json': JSON.stringify({ name: 'fixture-app' }),
      'packages/a/fixtures/app/y.ai.md': batch('outputs: [gen/**]'),
      'packages/skipped/package.json': JSON.stringify({ name: 'skipped' }),
      'packages/skipped/z.ai.md': batch('outputs: [o/**]'),
      'tools/pnpm-one/package.json': JSON.stringify({ name: 'pnpm-one' }),
      'tools/pnpm-one/w.ai.md': batch('outputs: [o/**]'),
    });
    expect(Object.fromEntries(result.map(([f, r]) => [f, Object.keys((r as CreateNodesResult).projects!)]))).toEqual({
      'packages/a/ai/x.ai.md': ['packages/a'],
      'packages/a/fixtures/app/y.ai.md': ['packages/a'],
      'tools/pnpm-one/w.ai.md': ['tools/pnpm-one'],
    });
    expect(targetsOf(result, 'packages/a/fixtures/app/y.ai.md', 'packages/a')['ai-generate--y'].outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/@ws/a/y']);
  });

  it('names the project like Nx: project.json name, then package.json nx.name / name', async () => {
    const result = await infer({
      'nx.json': '{}',
      'package.json': JSON.stringify({ name: 'ws', workspaces: ['b'] }),
      'a/project.json': '{ // comments are allowed\n "name": "from-project-json" }',
      'a/package.json': JSON.stringify({ name: 'from-package-json' }),
      'a/x.ai.md': batch('outputs: [o/**]'),
      'b/package.json': JSON.stringify({ name: 'pkg', nx: { name: 'nx-name' } }),
      'b/x.ai.md': batch('outputs: [o/**]'),
      'My-Lib/project.json': '{}',
      'My-Lib/x.ai.md': batch('outputs: [o/**]'),
    });
    expect(targetsOf(result, 'a/x.ai.md', 'a')['ai-generate--x'].outputs).toContain('{workspaceRoot}/.nx-worktree-ai/from-project-json/x');
    expect(targetsOf(result, 'b/x.ai.md', 'b')['ai-generate--x'].outputs).toContain('{workspaceRoot}/.nx-worktree-ai/nx-name/x');
    expect(targetsOf(result, 'My-Lib/x.ai.md', 'My-Lib')['ai-generate--x'].outputs).toContain('{workspaceRoot}/.nx-worktree-ai/my-lib/x');
  });

  it('negates its outputs in the {workspaceRoot} file set too when a workspace input may reach them', async () => {
    const result = await infer({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [src/a/**]'),
      'libs/auth/ai/b.ai.md': batch('outputs: [src/a/b/**, docs/**]\ndependsOn: [a]\ncontext: [\'{workspaceRoot}/libs/auth/docs/**\']'),
    });
    expect(targetsOf(result, 'libs/auth/ai/b.ai.md', 'libs/auth')['ai-generate--b'].inputs).toEqual([
      '{projectRoot}/ai/b.ai.md',
      '{workspaceRoot}/libs/auth/docs/**',
      { dependentTasksOutputFiles: '**/changes.patch', transitive: true },
      '!{projectRoot}/src/a/b/**',
      '!{projectRoot}/docs/**',
      '!{workspaceRoot}/libs/auth/docs/**',
    ]);
  });

  it('hashes the versions of the plugin and of the agent CLI where Nx knows them (declared and in the lock file)', async () => {
    const devDependencies = { 'nx-worktree-ai': '0.1.0', '@anthropic-ai/claude-code': '^2.1.330', '@openai/codex': '^0.169.0' };
    // codex only as another package's dependency: not installed, so Nx has no node for it
    const lock = { packages: { 'node_modules/nx-worktree-ai': { dependencies: { '@openai/codex': '*' } }, 'node_modules/@anthropic-ai/claude-code': {}, 'node_modules/@google/gemini-cli': {} } };
    const files = {
      ...WORKSPACE,
      'package.json': JSON.stringify({ name: 'ws', workspaces: ['libs/*'], devDependencies }),
      'package-lock.json': JSON.stringify(lock),
      'libs/auth/ai/c.ai.md': batch('agent: claude\noutputs: [c/**]'),
      'libs/auth/ai/x.ai.md': batch('agent: codex\noutputs: [x/**]'), // declared, not in the lock file
      'libs/auth/ai/g.ai.md': batch('agent: gemini\noutputs: [g/**]'), // in the lock file, not declared
    };
    const result = await infer(files);
    const external = (name: string) => targetsOf(result, `libs/auth/ai/${name}.ai.md`, 'libs/auth')[`ai-generate--${name}`].inputs!.filter((i) => typeof i === 'object' && 'externalDependencies' in i);
    expect(external('c')).toEqual([{ externalDependencies: ['nx-worktree-ai', '@anthropic-ai/claude-code'] }]);
    expect(external('x')).toEqual([{ externalDependencies: ['nx-worktree-ai'] }]);
    expect(external('g')).toEqual([{ externalDependencies: ['nx-worktree-ai'] }]);
    // no lock file: Nx knows no package, and would fail a task naming one
    const { 'package-lock.json': _, ...noLock } = files;
    expect(targetsOf(await infer(noLock), 'libs/auth/ai/c.ai.md', 'libs/auth')['ai-generate--c'].inputs).toEqual(['{projectRoot}/ai/c.ai.md', { dependentTasksOutputFiles: '**/changes.patch', transitive: true }, '!{projectRoot}/c/**']);
  });

  it('uses the package manager of the workspace in metadata.help', async () => {
    const { 'package-lock.json': _, ...rest } = WORKSPACE;
    const result = await infer({ ...rest, 'pnpm-lock.yaml': '', 'libs/auth/ai/a.ai.md': batch('outputs: [o/**]') });
    expect(targetsOf(result, 'libs/auth/ai/a.ai.md', 'libs/auth')['ai-generate--a'].metadata!.help!.command).toBe(
      'pnpm exec nx run auth:ai-generate--a --help',
    );
  });
});

describe('createNodes errors', () => {
  it("keeps Nx's tokens in a problem inert: Nx refuses {workspaceRoot} inside an option, which would fail the whole graph", async () => {
    const result = await infer({ ...WORKSPACE, 'libs/auth/ai/bad.ai.md': batch("outputs: [src/**]\ncontext: ['{workspaceRoot}/../secrets']") });
    const target = targetsOf(result, 'libs/auth/ai/bad.ai.md', 'libs/auth')['ai-generate--bad'];
    const invalid = target.options.invalid as string[];
    for (const text of [...invalid, target.metadata!.description!]) expect(text).not.toMatch(/\{(workspaceRoot|projectRoot|projectName)\}/);
    // The executor prints the problem as written.
    expect(invalid.map(restoreNxTokens).join('\n')).toContain('{workspaceRoot}/../secrets');
  });

  it('names the file, the key, the bad value and what is allowed; the target is still inferred and other files get theirs', async () => {
    const result = await infer({
      ...WORKSPACE,
      'libs/auth/ai/bad.ai.md': batch('agent: gpt\noutputs: [src/**]\ncolour: red'),
      'libs/auth/ai/good.ai.md': batch('outputs: [other/**]'),
    });
    expect(result.map(([f]) => f)).toEqual(['libs/auth/ai/bad.ai.md', 'libs/auth/ai/good.ai.md']);
    const bad = targetsOf(result, 'libs/auth/ai/bad.ai.md', 'libs/auth');
    // (the list of allowed keys grows with the format: matched by its start only)
    expect(bad['ai-generate--bad']).toMatchInlineSnapshot({ options: { invalid: [expect.any(String), expect.stringMatching(/^unknown key "colour"; allowed keys: description, agent, model, outputs/)] } }, `
{
  "cache": false,
  "executor": "nx-worktree-ai:generate",
  "inputs": [
    "{projectRoot}/ai/bad.ai.md",
  ],
  "metadata": {
    "description": "Invalid batch file libs/auth/ai/bad.ai.md (fails when run until fixed): key "agent": got "gpt"; expected one of "claude" | "codex" | "gemini" | "opencode" | "copilot" | "qwen" | "cursor" | "amp" | "command" (+1 more)",
    "technologies": [
      "nx-worktree-ai",
    ],
  },
  "options": {
    "batch": "libs/auth/ai/bad.ai.md",
    "invalid": [
      Any<String>,
      StringMatching /\\^unknown key "colour"; allowed keys: description, agent, model, outputs/,
    ],
  },
  "outputs": [
    "{workspaceRoot}/.nx-worktree-ai/auth/bad",
  ],
}
`);
    // the aggregate lists every batch of the project: running it runs the good one and fails on the bad one
    expect(bad['ai-generate'].dependsOn).toEqual([fwd('ai-generate--bad'), fwd('ai-generate--good')]);
    expect(targetsOf(result, 'libs/auth/ai/good.ai.md', 'libs/auth')['ai-generate--good'].options).toEqual({ batch: 'libs/auth/ai/good.ai.md' });
  });

  it('a batch file outside any project gets no target and breaks nothing', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const result = await infer({ 'nx.json': '{}', 'docs/x.ai.md': batch('outputs: [o/**]') });
      expect(result).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('docs/x.ai.md gets no target: not inside a project: no project.json, nor a package.json that Nx makes a project'));
    } finally {
      warn.mockRestore();
    }
  });

  it('duplicate batch names in one project name both files', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/login.ai.md': batch('outputs: [a/**]'),
      'libs/auth/src/login.ai.md': batch('outputs: [b/**]'),
      'libs/shared-ui/login.ai.md': batch('outputs: [c/**]'), // another project: fine
    });
    expect(e).toEqual({
      'libs/auth/ai/login.ai.md': expect.stringContaining('batch name "login" is also used by libs/auth/src/login.ai.md in project "auth"'),
      'libs/auth/src/login.ai.md': expect.stringContaining('batch name "login" is also used by libs/auth/ai/login.ai.md in project "auth"'),
    });
  });

  it('dependsOn naming a missing batch or project', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [a/**]\ndependsOn: [nope, "ghost:x", "@acme/shared-ui:nope"]'),
      'libs/shared-ui/ai/theme.ai.md': batch('outputs: [t/**]'),
    });
    const message = e['libs/auth/ai/a.ai.md'];
    expect(message).toContain('key "dependsOn": got "nope"; project "auth" has no batch "nope" (its batches: a)');
    expect(message).toContain('key "dependsOn": got "ghost:x"; no project named "ghost" has batch files (projects with batches: @acme/shared-ui, auth)');
    expect(message).toContain('key "dependsOn": got "@acme/shared-ui:nope"; project "@acme/shared-ui" has no batch "nope" (its batches: theme)');
  });

  it('dependsOn cycles, also across projects and onto itself', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [a/**]\ndependsOn: [b]'),
      'libs/auth/ai/b.ai.md': batch('outputs: [b/**]\ndependsOn: ["@acme/shared-ui:c"]'),
      'libs/shared-ui/ai/c.ai.md': batch('outputs: [c/**]\ndependsOn: ["auth:a"]'),
      'libs/shared-ui/ai/self.ai.md': batch('outputs: [s/**]\ndependsOn: [self]'),
      'libs/shared-ui/ai/fine.ai.md': batch('outputs: [f/**]\ndependsOn: [c]'),
    });
    const errors = e;
    expect(Object.keys(errors).sort()).toEqual(['libs/auth/ai/a.ai.md', 'libs/auth/ai/b.ai.md', 'libs/shared-ui/ai/c.ai.md', 'libs/shared-ui/ai/self.ai.md']);
    const cycle =
      'key "dependsOn": dependency cycle @acme/shared-ui:c -> auth:a -> auth:b -> @acme/shared-ui:c (files: libs/auth/ai/a.ai.md, libs/auth/ai/b.ai.md, libs/shared-ui/ai/c.ai.md)';
    expect(errors['libs/auth/ai/a.ai.md']).toContain(cycle);
    expect(errors['libs/shared-ui/ai/c.ai.md']).toContain(cycle);
    expect(errors['libs/shared-ui/ai/self.ai.md']).toContain('dependency cycle @acme/shared-ui:self -> @acme/shared-ui:self');
    // the targets of a cycle carry no dependsOn, or Nx would refuse the whole task graph
    const result = await infer({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [a/**]\ndependsOn: [b]'),
      'libs/auth/ai/b.ai.md': batch('outputs: [b/**]\ndependsOn: [a]'),
    });
    expect(targetsOf(result, 'libs/auth/ai/a.ai.md', 'libs/auth')['ai-generate--a']).not.toHaveProperty('dependsOn');
    expect(targetsOf(result, 'libs/auth/ai/b.ai.md', 'libs/auth')['ai-generate--b']).not.toHaveProperty('dependsOn');
    // and the aggregate orders them by name, as the apply executor does from those targets
    expect(targetsOf(result, 'libs/auth/ai/a.ai.md', 'libs/auth')['ai-generate'].options.command).toBe('nx-worktree-ai apply auth --project-root=libs/auth --batches=libs/auth/ai/a.ai.md,libs/auth/ai/b.ai.md');
  });

  it('overlapping outputs of batches that may run at the same time', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [src/**]'),
      'libs/auth/ai/b.ai.md': batch('outputs: [src/b/*.ts, docs/**]'),
    });
    expect(e).toEqual({
      'libs/auth/ai/a.ai.md': expect.stringContaining(
        'key "outputs": may write the same files as batch auth:b (libs/auth/ai/b.ai.md): "src/**" and "src/b/*.ts"; Nx may run both at the same time because neither depends on the other: add dependsOn: [b] to one of them, or make the outputs disjoint',
      ),
      'libs/auth/ai/b.ai.md': expect.stringContaining(
        'key "outputs": may write the same files as batch auth:a (libs/auth/ai/a.ai.md): "src/b/*.ts" and "src/**"',
      ),
    });
  });

  it('overlapping outputs are fine along a dependsOn path (also transitive)', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch('outputs: [src/**]'),
      'libs/auth/ai/m.ai.md': batch('outputs: [m/**]\ndependsOn: [a]'),
      'libs/auth/ai/b.ai.md': batch('outputs: [src/b/**]\ndependsOn: [m]'),
      'libs/auth/ai/c.ai.md': batch('outputs: [src/c/**]'), // overlaps a, unordered; disjoint from b
    });
    // a -> m -> b is a path, so a/b may overlap; c is ordered with nothing
    expect(Object.keys(e).sort()).toEqual(['libs/auth/ai/a.ai.md', 'libs/auth/ai/c.ai.md']);
    expect(e['libs/auth/ai/a.ai.md']).not.toContain('auth:b');
  });

  it('overlapping outputs across projects whose roots nest (root project included)', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'ai/everything.ai.md': batch('outputs: [libs/auth/src/**, tools/**]'),
      'libs/auth/ai/a.ai.md': batch('outputs: [src/a/**]'),
      'libs/shared-ui/ai/t.ai.md': batch('outputs: [src/**]'), // sibling of auth, and nothing of root covers it
    });
    expect(e).toEqual({
      'ai/everything.ai.md': expect.stringContaining(
        'may write the same files as batch auth:a (libs/auth/ai/a.ai.md): "libs/auth/src/**" and "libs/auth/src/a/**"; Nx may run both at the same time because neither depends on the other: add dependsOn: [auth:a]',
      ),
      'libs/auth/ai/a.ai.md': expect.stringContaining('may write the same files as batch ws:everything (ai/everything.ai.md): "libs/auth/src/a/**" and "libs/auth/src/**"'),
    });
  });

  it('outputs that cover the batch file itself, negated or rooted outputs, context leaving the project', async () => {
    const e = await inferProblems({
      ...WORKSPACE,
      'libs/auth/ai/a.ai.md': batch("outputs: ['**']"),
      'libs/auth/ai/b.ai.md': batch("outputs: ['!src/x', '{projectRoot}/src/**', ai]"),
      'libs/auth/ai/c.ai.md': batch("outputs: [c/**]\ncontext: ['../other/x.ts']"),
    });
    const errors = e;
    expect(errors['libs/auth/ai/a.ai.md']).toContain('key "outputs": "**" covers the batch file itself (ai/a.ai.md)');
    expect(errors['libs/auth/ai/b.ai.md']).toContain('key "outputs": got "!src/x"; negated globs are not allowed');
    expect(errors['libs/auth/ai/b.ai.md']).toContain('key "outputs": got "{projectRoot}/src/**"; expected a glob relative to the project root');
    expect(errors['libs/auth/ai/b.ai.md']).toContain('key "outputs": "ai" covers the batch file itself (ai/b.ai.md)');
    expect(errors['libs/auth/ai/c.ai.md']).toContain(
      'key "context.0": got "../other/x.ts"; expected a path or glob relative to the project root, or "{workspaceRoot}/<path>"',
    );
  });
});
