import { addProjectConfiguration, logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseBatchFile } from '../../batch/parse';
import { batchGenerator } from './generator';
import { DEFAULT_PROMPT } from './schema';

describe('batch generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    addProjectConfiguration(tree, 'auth', { root: 'libs/auth' });
  });

  it('writes <projectRoot>/ai/<name>.ai.md with the minimal frontmatter and the TODO prompt', async () => {
    await batchGenerator(tree, { name: 'auth-module', project: 'auth', outputs: 'src/auth/**' });
    const text = tree.read('libs/auth/ai/auth-module.ai.md', 'utf-8')!;
    expect(text).toBe(`---\nagent: claude\noutputs: [src/auth/**]\n---\n${DEFAULT_PROMPT}`);
    const spec = parseBatchFile('libs/auth/ai/auth-module.ai.md', text, 'libs/auth');
    expect(spec.frontmatter).toEqual({ agent: 'claude', outputs: ['src/auth/**'], context: [], dependsOn: [], apply: 'working-tree' });
    expect(spec.prompt).toBe(DEFAULT_PROMPT);
  });

  it('writes every option, splitting comma lists but not braces, and the result parses', async () => {
    await batchGenerator(tree, {
      name: 'auth-module',
      project: 'auth',
      outputs: 'src/auth/**, src/{a,b}/*.ts',
      description: 'Build: the auth module',
      agent: 'codex',
      model: 'gpt-5',
      dependsOn: ['auth-api', 'shared-ui:theme'],
      context: 'src/types.ts,{workspaceRoot}/docs/api.md',
      apply: 'commit',
      prompt: 'Build the auth module.',
    });
    const text = tree.read('libs/auth/ai/auth-module.ai.md', 'utf-8')!;
    expect(text).toBe(
      [
        '---',
        'description: "Build: the auth module"',
        'agent: codex',
        'model: gpt-5',
        'outputs: [src/auth/**, "src/{a,b}/*.ts"]',
        'context: [src/types.ts, "{workspaceRoot}/docs/api.md"]',
        'dependsOn: [auth-api, shared-ui:theme]',
        'apply: commit',
        '---',
        'Build the auth module.',
        '',
      ].join('\n'),
    );
    expect(parseBatchFile('libs/auth/ai/auth-module.ai.md', text, 'libs/auth').frontmatter).toEqual({
      description: 'Build: the auth module',
      agent: 'codex',
      model: 'gpt-5',
      outputs: ['src/auth/**', 'src/{a,b}/*.ts'],
      context: ['src/types.ts', '{workspaceRoot}/docs/api.md'],
      dependsOn: ['auth-api', 'shared-ui:theme'],
      apply: 'commit',
    });
  });

  it('writes allowEmpty: true only when asked', async () => {
    await batchGenerator(tree, { name: 'lint-fix', project: 'auth', outputs: 'src/**', allowEmpty: true, prompt: 'Fix lint errors, if any.' });
    const text = tree.read('libs/auth/ai/lint-fix.ai.md', 'utf-8')!;
    expect(text).toBe('---\nagent: claude\noutputs: [src/**]\nallowEmpty: true\n---\nFix lint errors, if any.\n');
    expect(parseBatchFile('libs/auth/ai/lint-fix.ai.md', text, 'libs/auth').frontmatter.allowEmpty).toBe(true);
    await batchGenerator(tree, { name: 'strict', project: 'auth', outputs: 'docs/**', allowEmpty: false, prompt: 'Work.' });
    expect(tree.read('libs/auth/ai/strict.ai.md', 'utf-8')).not.toContain('allowEmpty');
  });

  it('puts a batch of the root project under ai/ and accepts a name ending in .ai.md', async () => {
    addProjectConfiguration(tree, 'ws', { root: '.' });
    await batchGenerator(tree, { name: 'docs.ai.md', project: 'ws', outputs: ['docs/**'] });
    expect(tree.exists('ai/docs.ai.md')).toBe(true);
  });

  it('errors: unknown project, existing file, same name elsewhere in the project, bad name, no outputs, invalid glob', async () => {
    await expect(batchGenerator(tree, { name: 'x', project: 'nope', outputs: 'a/**' })).rejects.toThrow(
      'nx-worktree-ai:batch: project "nope" does not exist',
    );
    tree.write('libs/auth/ai/x.ai.md', 'mine');
    await expect(batchGenerator(tree, { name: 'x', project: 'auth', outputs: 'a/**' })).rejects.toThrow(
      'nx-worktree-ai:batch: libs/auth/ai/x.ai.md already exists; edit it, or choose another name',
    );
    expect(tree.read('libs/auth/ai/x.ai.md', 'utf-8')).toBe('mine');
    tree.write('libs/auth/src/deep/y.ai.md', 'other');
    await expect(batchGenerator(tree, { name: 'y', project: 'auth', outputs: 'a/**' })).rejects.toThrow(
      'project "auth" already has a batch "y" (libs/auth/src/deep/y.ai.md)',
    );
    await expect(batchGenerator(tree, { name: '-bad name', project: 'auth', outputs: 'a/**' })).rejects.toThrow(
      /option "name": got "-bad name"; a batch name/,
    );
    await expect(batchGenerator(tree, { name: 'z', project: 'auth', outputs: ' , ' })).rejects.toThrow('--outputs needs at least one glob');
    await expect(batchGenerator(tree, { name: 'z', project: 'auth', outputs: '../elsewhere/**' })).rejects.toThrow(
      /the options do not make a valid batch file:\nlibs\/auth\/ai\/z.ai.md: invalid batch file\n  - key "outputs.0": got "..\/elsewhere\/\*\*"/,
    );
    expect(tree.exists('libs/auth/ai/z.ai.md')).toBe(false);
  });

  it('refuses outputs a batch that may run at the same time also writes, naming it, and writes nothing', async () => {
    await batchGenerator(tree, { name: 'auth-module', project: 'auth', outputs: 'src/auth/**' });
    await expect(batchGenerator(tree, { name: 'auth-login', project: 'auth', outputs: 'src/auth/login.ts' })).rejects.toThrow(
      'nx-worktree-ai:batch: libs/auth/ai/auth-login.ai.md was not written: the workspace\'s batches would not run with it:\n' +
        '  - key "outputs": may write the same files as batch auth:auth-module (libs/auth/ai/auth-module.ai.md): "src/auth/login.ts" and "src/auth/**"; ' +
        'Nx may run both at the same time because neither depends on the other: add dependsOn: [auth-module] to one of them, or make the outputs disjoint',
    );
    expect(tree.exists('libs/auth/ai/auth-login.ai.md')).toBe(false);
    // Ordered after it, the same outputs are fine.
    await batchGenerator(tree, { name: 'auth-login', project: 'auth', outputs: 'src/auth/login.ts', dependsOn: 'auth-module' });
    expect(tree.exists('libs/auth/ai/auth-login.ai.md')).toBe(true);
  });

  it('refuses a dependsOn cycle; a dependency that does not exist yet only warns', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      await batchGenerator(tree, { name: 'tests', project: 'auth', outputs: 'src/tests/**', dependsOn: 'module' });
      expect(tree.exists('libs/auth/ai/tests.ai.md')).toBe(true);
      expect(warn.mock.calls.map(([line]) => String(line))).toEqual([
        'nx-worktree-ai:batch: libs/auth/ai/tests.ai.md: key "dependsOn": got "module"; project "auth" has no batch "module" (its batches: tests); ' +
          "Nx refuses the workspace's batches until it exists: create it next",
      ]);
    } finally {
      warn.mockRestore();
    }
    await expect(batchGenerator(tree, { name: 'module', project: 'auth', outputs: 'src/module/**', dependsOn: 'tests' })).rejects.toThrow(
      /libs\/auth\/ai\/module.ai.md was not written: [^\n]*\n {2}- key "dependsOn": dependency cycle auth:module -> auth:tests -> auth:module/,
    );
    expect(tree.exists('libs/auth/ai/module.ai.md')).toBe(false);
  });

  it('a batch of a nested project does not clash with the parent project', async () => {
    addProjectConfiguration(tree, 'auth-sub', { root: 'libs/auth/sub' });
    await batchGenerator(tree, { name: 'x', project: 'auth-sub', outputs: 'a/**' });
    await batchGenerator(tree, { name: 'x', project: 'auth', outputs: 'a/**' });
    expect(tree.exists('libs/auth/sub/ai/x.ai.md') && tree.exists('libs/auth/ai/x.ai.md')).toBe(true);
  });
});
