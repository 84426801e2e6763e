import { join } from 'node:path';
import { readNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';

describe('the plugin entry', () => {
  it('loads no generator until one is called, and then runs it', async () => {
    jest.isolateModules(() => {
      // Nx's plugin worker has nx and @nx/devkit loaded already (devkit brings its own yaml)
      require('@nx/devkit');
      const before = new Set(Object.keys(require.cache));
      const entry = require('./index') as typeof import('./index');
      const loaded = Object.keys(require.cache).filter((file) => file.startsWith(join(__dirname, 'generators')));
      expect(loaded).toEqual([]);
      // a warm inference needs neither the YAML parser nor zod: Nx loads the plugin for every command
      const parsers = Object.keys(require.cache).filter((file) => !before.has(file) && /[\\/]node_modules[\\/](zod|yaml)[\\/]/.test(file));
      expect(parsers).toEqual([]);
      expect(typeof entry.createNodes[1]).toBe('function');
    });
    const { initGenerator } = await import('./index');
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, {});
    expect(JSON.stringify(readNxJson(tree)?.plugins)).toContain('nx-worktree-ai');
  });

  it('hides init, which `nx add` runs, from the generators Nx offers (completion of nx g): first-party plugins do', () => {
    const { generators } = require('../generators.json') as { generators: Record<string, { hidden?: boolean }> };
    expect(Object.entries(generators).filter(([, g]) => g.hidden).map(([name]) => name)).toEqual(['init']);
  });
});
