#!/usr/bin/env node
/**
 * `npm run pack`: builds the plugin and writes the installable tarball dist/nx-worktree-ai.tgz.
 * e2e tests, the demo and users install that file, never a path mapping into the source.
 *
 * No shell anywhere: npm is spawned with an argv array. When this script runs under `npm run`,
 * npm's own CLI script (npm_execpath) is run with this Node, which also works on Windows
 * (where spawning npm.cmd without a shell is refused by Node >= 20.12).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(repoRoot, 'packages', 'nx-worktree-ai');
const distDir = join(repoRoot, 'dist');
const TARBALL = join(distDir, 'nx-worktree-ai.tgz');

/** [command, leadingArgs] for running npm without a shell. */
function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /\.(c|m)?js$/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}

function npm(args, { cwd = repoRoot, capture = false } = {}) {
  const [cmd, lead] = npmCommand();
  const res = spawnSync(cmd, [...lead, ...args], {
    cwd,
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    env: process.env,
  });
  if (res.error) throw new Error(`npm ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    const why = res.signal ? `signal ${res.signal}` : `exit code ${res.status}`;
    throw new Error(`npm ${args.join(' ')} failed (${why})`);
  }
  return res.stdout;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

function main() {
  const t0 = Date.now();
  console.log('> npm run build -w nx-worktree-ai');
  npm(['run', 'build', '-w', 'nx-worktree-ai']);
  const tBuild = Date.now();

  mkdirSync(distDir, { recursive: true });
  rmSync(TARBALL, { force: true });
  console.log('> npm pack packages/nx-worktree-ai');
  // --ignore-scripts: the build above already ran; a prepack script must not rebuild in a different way.
  const out = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', distDir], { cwd: pkgDir, capture: true });
  let info;
  try {
    // npm may print notices before the JSON array; take from the first '['.
    info = JSON.parse(out.slice(out.indexOf('[')))[0];
  } catch (e) {
    throw new Error(`could not read npm pack --json output: ${e.message}\n${out}`);
  }
  const produced = join(distDir, info.filename.replace(/^@/, '').replace(/\//g, '-'));
  if (!existsSync(produced)) throw new Error(`npm pack reported ${info.filename} but ${produced} does not exist`);
  if (produced !== TARBALL) renameSync(produced, TARBALL);

  const required = ['package.json', 'executors.json', 'generators.json', 'migrations.json'];
  const paths = new Set(info.files.map((f) => f.path));
  const missing = required.filter((f) => !paths.has(f));
  if (!info.files.some((f) => f.path.startsWith('dist/'))) missing.push('dist/**');
  if (missing.length) throw new Error(`the tarball lacks ${missing.join(', ')}: check "files" in packages/nx-worktree-ai/package.json and the build`);

  const size = statSync(TARBALL).size;
  console.log(
    `${info.name}@${info.version} -> ${TARBALL}\n` +
      `  ${formatBytes(size)} packed, ${formatBytes(info.unpackedSize)} unpacked, ${info.entryCount} files ` +
      `(build ${((tBuild - t0) / 1000).toFixed(1)} s, pack ${((Date.now() - tBuild) / 1000).toFixed(1)} s)`,
  );
}

try {
  main();
} catch (err) {
  console.error(`pack: ${err.message}`);
  process.exit(1);
}
