import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  describe('the bundle the batch executor\'s entry loads (scripts/bundle.mjs)', () => {
    let dir: string;
    let inputs: string[];
    beforeAll(() => {
      // Inside node_modules, so that the bundle's require of yaml resolves as it does in a workspace.
      const cache = join(__dirname, '..', '..', '..', '..', 'node_modules', '.cache');
      mkdirSync(cache, { recursive: true });
      dir = mkdtempSync(join(cache, 'nxwa-bundle-'));
      execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'bundle.mjs'), join(dir, 'executor.js'), join(dir, 'meta.json')]);
      // The files that have code in the bundle (esbuild's metafile also lists those it read and left out).
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
      inputs = Object.values(meta.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([file]) => file));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("is what the entry executors.json names loads, and the entry loads nothing else of the plugin's", () => {
      const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'executors.json'), 'utf8'));
      expect(manifest.executors.generate.implementation).toBe('./dist/executors/generate/entry');
      const entry = readFileSync(join(__dirname, 'generate', 'entry.ts'), 'utf8');
      expect([...entry.matchAll(/(?:require\(|from )'([^']+)'/g)].map((m) => m[1])).toEqual(['../../utils/load-start', './executor.bundle.js']);
    });

    it("holds zod's English messages only: `import * as z` lets the bundler leave out its 60-odd other locales", () => {
      const locales = inputs.filter((file) => /zod[\\/].*locales[\\/]/.test(file));
      expect(locales.map((file) => file.split(/[\\/]/).pop())).toEqual(['en.js']);
    });

    it('holds neither Nx, its devkit nor yaml (the workspace provides them) and no code that finds files beside itself', () => {
      expect(inputs.filter((file) => /node_modules[\\/](nx|@nx[\\/]devkit|yaml)[\\/]/.test(file))).toEqual([]);
      expect(readFileSync(join(dir, 'executor.js'), 'utf8')).not.toMatch(/__dirname|__filename|import\.meta/);
    });

    it('loads as one module besides yaml, and exports the executor', () => {
      let exported: unknown;
      const added = addedPackages(join(dir, 'executor.js'), ['yaml']);
      jest.isolateModules(() => {
        exported = require(join(dir, 'executor.js')).default;
      });
      // The bundle itself sits under node_modules/.cache.
      expect(added.filter((name) => name !== '.cache')).toEqual([]);
      expect(typeof exported).toBe('function');
    });
  });
});
