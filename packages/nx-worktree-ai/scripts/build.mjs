#!/usr/bin/env node
// Builds the nx-worktree-ai package: clean dist/, compile src/ with tsc, write the schema.json
// files of the executor and generators from their zod schemas (src/schemas/json-schema.ts, compiled),
// then bundle the batch executor into one file (scripts/bundle.mjs).
// Run by `npm run build -w nx-worktree-ai` and by the root `npm run pack`; works from any cwd.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleExecutor } from './bundle.mjs';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const distDir = join(packageDir, 'dist');
const require = createRequire(join(packageDir, 'package.json'));

rmSync(distDir, { recursive: true, force: true });

const tsc = require.resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`build: tsc failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

const { writeSchemaFiles } = require(join(distDir, 'schemas', 'json-schema.js'));
const written = writeSchemaFiles(distDir);
await bundleExecutor(packageDir);

// Every path executors.json / generators.json name must exist now (the batch executor's
// implementation is its entry, which requires the bundle).
const missing = [];
for (const [manifest, key, fields] of [
  ['executors.json', 'executors', ['implementation', 'schema']],
  ['generators.json', 'generators', ['factory', 'schema']],
]) {
  const entries = require(join(packageDir, manifest))[key];
  for (const [name, entry] of Object.entries(entries)) {
    for (const field of fields) {
      const path = join(packageDir, entry[field].split('#')[0]);
      if (![path, `${path}.js`].some(existsSync)) missing.push(`${manifest} ${name}.${field}: ${relative(packageDir, path)}`);
    }
  }
}

// The package's command (package.json "bin").
for (const [name, path] of Object.entries(require(join(packageDir, 'package.json')).bin ?? {})) {
  if (!existsSync(join(packageDir, path))) missing.push(`package.json bin ${name}: ${path}`);
}

console.log(`build: compiled src/ to dist/, bundled the batch executor, wrote ${written.map((p) => relative(packageDir, p)).join(', ')}`);
if (missing.length) {
  console.error(`build: missing files named by the manifests:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  process.exit(1);
}
