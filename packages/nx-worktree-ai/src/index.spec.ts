import { join } from 'node:path';
import { readNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';

describe('the plugin entry', () => {
  it('loads no generator until one is called, and then runs it', async () => {
    jest.isolateModules(() => {
      const entry = require('./index') as typeof import('./index');
      const loaded = Object.keys(require.cache).filter((file) => file.startsWith(join(__dirname, 'generators')));
      expect(loaded).toEqual([]);
      expect(typeof entry.createNodes[1]).toBe('function');
    });
    const { initGenerator } = await import('./index');
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, {});
    expect(JSON.stringify(readNxJson(tree)?.plugins)).toContain('nx-worktree-ai');
  });
});
