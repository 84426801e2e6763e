import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateNodesResult } from '@nx/devkit';
import { removeDir, tempDir, writeFiles } from '@testing/temp';
import { createNodes } from './create-nodes';
import { workspaceDataDir } from './inference-cache';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const FILES = {
  'nx.json': '{}',
  'libs/auth/project.json': JSON.stringify({ name: 'auth' }),
  'libs/auth/ai/a.ai.md': '---\ndescription: Do a.\noutputs: [src/a/**]\n---\nDo a.\n',
};

function workspace(): string {
  const root = tempDir('nxwa-infer-cache-');
  dirs.push(root);
  writeFiles(root, FILES);
  return root;
}

const infer = (root: string, options: Record<string, unknown> = {}) =>
  createNodes[1](['libs/auth/ai/a.ai.md'], options, { workspaceRoot: root, nxJsonConfiguration: {} });

function cacheFiles(root: string): string[] {
  return readdirSync(workspaceDataDir(root)).filter((f) => f.startsWith('nx-worktree-ai-'));
}

/** Marks the stored results so that a hit is visible: a hit returns the marked results, a miss recomputes them. */
function mark(root: string): void {
  const [file] = cacheFiles(root);
  const path = join(workspaceDataDir(root), file);
  const stored = JSON.parse(readFileSync(path, 'utf8'));
  stored.entries[0][1].projects['libs/auth'].targets['ai-generate--a'].metadata.description = 'from the cache';
  writeFileSync(path, JSON.stringify(stored));
}

const description = (entries: Awaited<ReturnType<typeof infer>>) =>
  (entries[0][1] as CreateNodesResult).projects!['libs/auth'].targets!['ai-generate--a'].metadata!.description;

describe('the inference cache', () => {
  it("is kept in Nx's workspace data folder, one file per plugin options, and replayed while nothing changed", async () => {
    const root = workspace();
    expect(description(await infer(root))).toBe('Do a.');
    expect(cacheFiles(root)).toHaveLength(1);
    mark(root);
    expect(description(await infer(root))).toBe('from the cache');
    await infer(root, { targetName: 'ai' });
    expect(cacheFiles(root)).toHaveLength(2);
  });

  it("misses when a batch file's content changes", async () => {
    const root = workspace();
    await infer(root);
    mark(root);
    writeFileSync(join(root, 'libs/auth/ai/a.ai.md'), '---\ndescription: Do a, better.\noutputs: [src/a/**]\n---\nDo a.\n');
    expect(description(await infer(root))).toBe('Do a, better.');
  });

  it('misses when the project of a batch file is renamed', async () => {
    const root = workspace();
    await infer(root);
    mark(root);
    writeFileSync(join(root, 'libs/auth/project.json'), JSON.stringify({ name: 'login' }));
    const entries = await infer(root);
    expect(description(entries)).toBe('Do a.');
    expect((entries[0][1] as CreateNodesResult).projects!['libs/auth'].targets!['ai-generate--a'].outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/login/a']);
  });

  it('honours NX_WORKSPACE_DATA_DIRECTORY', () => {
    const saved = process.env.NX_WORKSPACE_DATA_DIRECTORY;
    try {
      process.env.NX_WORKSPACE_DATA_DIRECTORY = 'elsewhere/data';
      expect(workspaceDataDir('/ws')).toBe('/ws/elsewhere/data');
      process.env.NX_WORKSPACE_DATA_DIRECTORY = '/abs/data';
      expect(workspaceDataDir('/ws')).toBe('/abs/data');
    } finally {
      if (saved === undefined) delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
      else process.env.NX_WORKSPACE_DATA_DIRECTORY = saved;
    }
  });
});
