#!/usr/bin/env node
// Bundles the batch executor into one file (loaded by its entry, src/executors/generate/entry.ts,
// which executors.json names). Nx forks a worker per batch
// task, and each loads the executor afresh: ~150 compiled modules of the plugin and zod's ~95 (64 of
// them zod's error-message locales, which the plugin never uses) cost 110-160 ms of CPU per batch;
// one file with only the zod it uses, ~50 ms. The rest of dist/ (plugin, generators, command) stays
// as tsc compiled it.
//
// `node scripts/bundle.mjs <outfile> <metafile>` writes a bundle elsewhere with esbuild's metafile
// (what went into it), for the test that checks what the bundle holds (src/executors/loads.spec.ts).
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const EXECUTOR_BUNDLE = 'dist/executors/generate/executor.bundle.js';

export async function bundleExecutor(packageDir, outfile = join(packageDir, EXECUTOR_BUNDLE)) {
  const result = await build({
    entryPoints: [join(packageDir, 'src', 'executors', 'generate', 'executor.ts')],
    tsconfig: join(packageDir, 'tsconfig.json'),
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Nx and its devkit are the workspace's own (peer dependencies). yaml is loaded already in Nx's
    // worker (nx depends on it), so requiring it there costs nothing.
    external: ['nx', '@nx/devkit', 'yaml'],
    // A stack trace from the bundle maps back to the source files' lines (node --enable-source-maps),
    // as tsc's maps of the rest of dist/ do; the sources themselves are not shipped.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [outfile, metafile] = process.argv.slice(2);
  if (!outfile || !metafile) {
    console.error('usage: node scripts/bundle.mjs <outfile> <metafile>');
    process.exit(2);
  }
  const meta = await bundleExecutor(dirname(dirname(fileURLToPath(import.meta.url))), resolve(outfile));
  writeFileSync(resolve(metafile), JSON.stringify(meta));
}
