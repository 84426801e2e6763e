import { join } from 'node:path';

/** Modules of node_modules a require of `entry` adds to those already loaded (`preloaded` first, as the Nx process has them). */
function addedPackages(entry: string, preloaded: string[] = []): string[] {
  let added: string[] = [];
  jest.isolateModules(() => {
    for (const p of preloaded) require(p);
    const before = new Set(Object.keys(require.cache));
    require(entry);
    const names = Object.keys(require.cache)
      .filter((file) => !before.has(file))
      .map((file) => /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file)?.[1]?.replace('\\', '/'))
      .filter((name): name is string => !!name);
    added = [...new Set(names)].sort();
  });
  return added;
}

// Nx forks a worker for every batch task and runs the aggregate's command once per project: what
// their modules load at the top is paid each time, six or fifty times in a run.
describe('what loading the per-task code costs', () => {
  it('the batch executor loads neither @nx/devkit (Nx has nx itself loaded; the devkit is ~80 ms of CPU more) nor the process starter before a process starts', () => {
    const added = addedPackages(join(__dirname, 'generate', 'executor'), ['nx/src/devkit-exports']);
    expect(added.filter((name) => ['@nx/devkit', 'cross-spawn'].includes(name))).toEqual([]);
  });

  it('the apply command loads neither zod, yaml nor @nx/devkit until a change is to be written', () => {
    expect(addedPackages(join(__dirname, '..', 'bin', 'apply'))).toEqual([]);
  });
});
