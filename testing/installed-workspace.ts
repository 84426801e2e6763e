/**
 * An Nx workspace with its own npm install of a chosen nx (and @nx/devkit) next to the packed
 * plugin: a real node_modules and package-lock.json, as a user gets with `npm i -D`. Slower than
 * testing/workspace.ts (which links one shared install), for the checks that are about the
 * install itself: peer ranges, `npm ls`, and the lock file Nx reads external dependencies from.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, removeDir, tempDir, TEST_GIT_IDENTITY, writeFiles } from './temp';
import { DEFAULT_TARBALL, PLUGIN_NAME } from './workspace';

export interface InstalledWorkspace {
  root: string;
  base: string;
  cacheDir: string;
  tmpDir: string;
  /** How long `npm install` took, ms. */
  installMs: number;
  remove(): void;
}

export interface InstalledWorkspaceOptions {
  nxVersion: string;
  /** Installed beside nx when given (a peer of the plugin; npm picks one itself otherwise). */
  devkitVersion?: string;
  /** Project roots (each gets a project.json named after its folder) and files, from the workspace root. */
  files: Record<string, string>;
  tarball?: string;
  prefix?: string;
}

/** Runs npm with the environment of the tests; throws with its output when it fails. */
export function npm(cwd: string, args: string[]): { code: number; output: string } {
  const res = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 10 * 60_000 });
  return { code: res.status ?? 1, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
}

export function installedWorkspace(opts: InstalledWorkspaceOptions): InstalledWorkspace {
  const base = tempDir(opts.prefix ?? 'nxwa-e2e-installed-');
  const root = join(base, 'workspace');
  const ws: InstalledWorkspace = { root, base, cacheDir: join(base, 'nx-cache'), tmpDir: join(base, 'tmp'), installMs: 0, remove: () => removeDir(base) };
  try {
    for (const d of [root, ws.cacheDir, ws.tmpDir]) mkdirSync(d, { recursive: true });
    copyFileSync(opts.tarball ?? DEFAULT_TARBALL, join(root, `${PLUGIN_NAME}.tgz`));
    const devDependencies: Record<string, string> = { nx: opts.nxVersion, [PLUGIN_NAME]: `file:./${PLUGIN_NAME}.tgz` };
    if (opts.devkitVersion) devDependencies['@nx/devkit'] = opts.devkitVersion;
    writeFiles(root, {
      'package.json': `${JSON.stringify({ name: 'installed-workspace', private: true, devDependencies }, null, 2)}\n`,
      'nx.json': `${JSON.stringify({ analytics: false }, null, 2)}\n`,
      '.gitignore': `node_modules\n.nx\n${PLUGIN_NAME}.tgz\n`,
      ...opts.files,
    });
    const t0 = Date.now();
    const install = npm(root, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
    ws.installMs = Date.now() - t0;
    if (install.code !== 0) throw new Error(`npm install (nx ${opts.nxVersion}) failed:\n${install.output}`);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'config', 'user.name', TEST_GIT_IDENTITY.GIT_AUTHOR_NAME);
    git(root, 'config', 'user.email', TEST_GIT_IDENTITY.GIT_AUTHOR_EMAIL);
    git(root, 'config', 'commit.gpgsign', 'false');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'initial workspace');
  } catch (error) {
    ws.remove();
    throw error;
  }
  return ws;
}
