import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';

describe('init generator', () => {
  let tree: Tree;
  const envBefore = process.env.NX_ADD_PLUGINS;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    delete process.env.NX_ADD_PLUGINS;
  });
  afterAll(() => {
    if (envBefore === undefined) delete process.env.NX_ADD_PLUGINS;
    else process.env.NX_ADD_PLUGINS = envBefore;
  });

  it('registers the plugin and gitignores the artifact folder', async () => {
    const callback = await initGenerator(tree, {});
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: 'nx-worktree-ai', options: { targetName: 'ai-generate' } }]);
    expect(tree.read('.gitignore', 'utf-8')).toBe('.nx-worktree-ai/\n');
    expect(typeof callback).toBe('function');
  });

  it('takes batch files out of the named inputs other targets hash: default (as Nx defines it when absent) and production', async () => {
    const nxJson = readNxJson(tree)!;
    updateNxJson(tree, { ...nxJson, namedInputs: { production: ['default', '!{projectRoot}/**/*.spec.ts'], sharedGlobals: [] } });
    await initGenerator(tree, {});
    expect(readNxJson(tree)!.namedInputs).toEqual({
      default: ['{projectRoot}/**/*', '!{projectRoot}/**/*.ai.md'],
      production: ['default', '!{projectRoot}/**/*.spec.ts', '!{projectRoot}/**/*.ai.md'],
      sharedGlobals: [],
    });
    // a default the workspace defines keeps its entries
    updateNxJson(tree, { ...readNxJson(tree)!, namedInputs: { default: ['{projectRoot}/**/*', 'sharedGlobals'] } });
    await initGenerator(tree, {});
    expect(readNxJson(tree)!.namedInputs).toEqual({ default: ['{projectRoot}/**/*', 'sharedGlobals', '!{projectRoot}/**/*.ai.md'] });
  });

  it('is idempotent: twice gives the same nx.json and one .gitignore line', async () => {
    tree.write('.gitignore', 'node_modules\ndist/'); // no trailing newline
    await initGenerator(tree, {});
    const nxJson = tree.read('nx.json', 'utf-8');
    const gitignore = tree.read('.gitignore', 'utf-8');
    await initGenerator(tree, {});
    expect(tree.read('nx.json', 'utf-8')).toBe(nxJson);
    expect(tree.read('.gitignore', 'utf-8')).toBe(gitignore);
    expect(gitignore).toBe('node_modules\ndist/\n.nx-worktree-ai/\n');
  });

  it('keeps an existing registration (string or object form) and an equivalent .gitignore line', async () => {
    for (const existing of ['nx-worktree-ai', { plugin: 'nx-worktree-ai', options: { targetName: 'ai' } }]) {
      tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
      updateNxJson(tree, { ...readNxJson(tree), plugins: ['@nx/js', existing] });
      tree.write('.gitignore', '/.nx-worktree-ai\n');
      const before = readNxJson(tree)!;
      await initGenerator(tree, { targetName: 'other' });
      // the registration stays as it was; only the prompt exclusion is added (what an upgrade brings)
      expect(readNxJson(tree)).toEqual({ ...before, namedInputs: { default: ['{projectRoot}/**/*', '!{projectRoot}/**/*.ai.md'] } });
      expect(tree.read('.gitignore', 'utf-8')).toBe('/.nx-worktree-ai\n');
    }
  });

  it('writes a custom targetName', async () => {
    await initGenerator(tree, { targetName: 'ai' });
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: 'nx-worktree-ai', options: { targetName: 'ai' } }]);
  });

  it('does not register the plugin when useInferencePlugins is false', async () => {
    updateNxJson(tree, { ...readNxJson(tree), useInferencePlugins: false });
    const before = tree.read('nx.json', 'utf-8');
    await initGenerator(tree, {});
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
    expect(tree.read('.gitignore', 'utf-8')).toBe('.nx-worktree-ai/\n');
  });

  it('does not register the plugin when NX_ADD_PLUGINS=false', async () => {
    process.env.NX_ADD_PLUGINS = 'false';
    const before = tree.read('nx.json', 'utf-8');
    await initGenerator(tree, {});
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
  });

  it('accepts what `nx add` passes and rejects a bad target name', async () => {
    await initGenerator(tree, { keepExistingVersions: true, skipFormat: true });
    await expect(initGenerator(tree, { targetName: 'a:b' })).rejects.toThrow(/option "targetName": got "a:b"/);
  });
});
