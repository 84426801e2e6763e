// execa is ESM-only, like most of its own dependencies. Built, the plugin require()s it natively
// (Node >= 20.19). Two loaders the tests use do not: jest's module registry (before Node 24.9)
// and tsx's CommonJS hook, which compiles ESM files to CommonJS and then resolves their imports
// with require's conditions. This file tells both what they need: which packages jest must compile,
// and where the packages that export an "import" condition only (unicorn-magic) are.
// testing/register-esm-only.cjs, given to `node --require`, patches require for a tsx host.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.dirname(__dirname);

/** The ESM-only packages among execa and its dependencies. */
const ESM_ONLY = [
  'execa',
  '@sindresorhus/merge-streams',
  'figures',
  'is-unicode-supported',
  'get-stream',
  '@sec-ant/readable-stream',
  'is-stream',
  'human-signals',
  'is-plain-obj',
  'npm-run-path',
  'path-key',
  'unicorn-magic',
  'pretty-ms',
  'parse-ms',
  'strip-final-newline',
  'yoctocolors',
];

/** A package's folder as Node finds it from `from` (walking up node_modules), whatever its "exports" say. */
function packageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`testing/esm-only.cjs: ${name} is not installed (from ${from})`);
  }
}

/** Packages whose "exports" have an "import" condition only, mapped to the file Node's import picks. */
function importOnlyEntries() {
  const execa = packageDir('execa', path.join(ROOT, 'packages', 'nx-worktree-ai'));
  return { 'unicorn-magic': path.join(packageDir('unicorn-magic', packageDir('npm-run-path', execa)), 'node.js') };
}

function register() {
  const entries = importOnlyEntries();
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return Object.hasOwn(entries, request) ? entries[request] : resolve.call(this, request, ...rest);
  };
}

module.exports = { ESM_ONLY, importOnlyEntries, register };
