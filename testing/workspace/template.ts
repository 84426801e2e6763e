/**
 * nx and the tarball installed once per tarball and Nx version into a template
 * ($TMPDIR/nx-worktree-ai-e2e-template-<hash>); each workspace links the template's node_modules.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeDir } from '../temp';
import { DEFAULT_TARBALL, NX_VERSION, PLUGIN_NAME, sha256 } from './defs';

/** [command, leading args] to run npm without a shell (npm's CLI script with this Node when known). */
export function npmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /\.(c|m)?js$/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}


/** The parent's environment without what an outer npm script or Nx task set (it would leak into children). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const keepNpm = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|http_proxy|noproxy|strict_ssl|cafile|ca|offline|prefer_offline|fetch_.*|@.*:registry|\/\/.*)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keepNpm.test(k)) continue;
    if (/^NX_/.test(k) && !/^NX_WORKTREE_AI_E2E_/.test(k)) continue;
    if (k === 'INIT_CWD' || k === 'JEST_WORKER_ID') continue;
    env[k] = v;
  }
  return env;
}

function check(res: SpawnSyncReturns<string>, what: string): string {
  if (res.error) throw new Error(`${what}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`${what} failed (exit ${res.status ?? res.signal})\n${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim());
  }
  return res.stdout;
}

/** Where the template for this tarball and Nx version lives (existing or not). */
export function templateDir(tarball = DEFAULT_TARBALL, nxVersion = NX_VERSION): string {
  if (!existsSync(tarball)) throw new Error(`${tarball} does not exist: run \`npm run pack\` first`);
  const key = sha256(Buffer.concat([readFileSync(tarball), Buffer.from(`\0nx@${nxVersion}\0node${process.versions.node.split('.')[0]}`)]));
  return join(realTmp(), `nx-worktree-ai-e2e-template-${key.slice(0, 16)}`);
}

function realTmp(): string {
  const dir = tmpdir();
  mkdirSync(dir, { recursive: true });
  return resolve(dir);
}

/**
 * Installs nx and the tarball into the template once (atomic: installed in a staging directory, then
 * renamed), and returns the template directory. Concurrent callers (jest + demo) both end with one.
 */
export function ensureTemplate(opts: { tarball?: string; nxVersion?: string; log?: (line: string) => void } = {}): string {
  const tarball = resolve(opts.tarball ?? DEFAULT_TARBALL);
  const nxVersion = opts.nxVersion ?? NX_VERSION;
  const dir = templateDir(tarball, nxVersion);
  if (existsSync(join(dir, '.complete'))) return dir;

  const log = opts.log ?? (() => undefined);
  const staging = `${dir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(staging, { recursive: true });
  try {
    cpSync(tarball, join(staging, 'nx-worktree-ai.tgz'));
    writeFileSync(
      join(staging, 'package.json'),
      JSON.stringify(
        {
          name: 'nx-worktree-ai-e2e-template',
          private: true,
          devDependencies: { nx: nxVersion, [PLUGIN_NAME]: 'file:./nx-worktree-ai.tgz' },
        },
        null,
        2,
      ) + '\n',
    );
    log(`installing nx@${nxVersion} and ${tarball} into ${dir} (once per tarball)`);
    const [cmd, lead] = npmCommand();
    const t0 = Date.now();
    check(
      spawnSync(cmd, [...lead, 'install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
        cwd: staging,
        encoding: 'utf8',
        env: { ...cleanEnv(), CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10 * 60_000,
      }),
      `npm install in ${staging}`,
    );
    log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const plugin = join(staging, 'node_modules', PLUGIN_NAME, 'package.json');
    if (!existsSync(plugin)) throw new Error(`npm install did not install ${PLUGIN_NAME} into ${staging}`);
    writeFileSync(join(staging, '.complete'), new Date().toISOString() + '\n');
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Someone else finished first: use theirs.
      if (!existsSync(join(dir, '.complete'))) throw err;
      removeDir(staging);
    }
  } catch (err) {
    removeDir(staging);
    throw err;
  }
  pruneOldTemplates(dir);
  return dir;
}

/** Removes other templates untouched for a day (each is ~100 MB). Best effort. */
function pruneOldTemplates(keep: string): void {
  try {
    const parent = realTmp();
    for (const name of readdirSync(parent)) {
      if (!name.startsWith('nx-worktree-ai-e2e-template-')) continue;
      const full = join(parent, name);
      if (full === keep) continue;
      if (Date.now() - statSync(full).mtimeMs > 24 * 3600_000) removeDir(full);
    }
  } catch {
    /* best effort */
  }
}
