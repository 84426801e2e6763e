/**
 * Real Nx workspaces for e2e tests and the demo, built by hand (package.json + nx.json + git init) around
 * the packed plugin tarball dist/nx-worktree-ai.tgz, never a path mapping into the source.
 *
 * Installing nx into every workspace is slow, so it is installed once per tarball and Nx version into a
 * template ($TMPDIR/nx-worktree-ai-e2e-template-<hash>) and each workspace gets the template's
 * node_modules through a symlink (see NodeModulesMode).
 *
 * Layout of one workspace (all outside the repository):
 *   <base>/workspace   the Nx workspace, a git repository
 *   <base>/nx-cache    NX_CACHE_DIRECTORY of every Nx run in it
 *   <base>/tmp         TMPDIR of every Nx run (so the plugin's worktrees stay outside the workspace)
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { git, removeDir, tempDir, TEST_GIT_IDENTITY, writeFiles } from './temp';

export { git, useWorktreeConfig } from './temp';

/** The repository checkout this file belongs to (testing/ is one level below it). */
export const REPO_ROOT = resolve(__dirname, '..');
/** The tarball e2e workspaces install (override: NX_WORKTREE_AI_E2E_TARBALL=/path/to/other.tgz). */
export const DEFAULT_TARBALL = process.env.NX_WORKTREE_AI_E2E_TARBALL || join(REPO_ROOT, 'dist', 'nx-worktree-ai.tgz');
/** The Nx version e2e workspaces install (override: NX_WORKTREE_AI_E2E_NX_VERSION=23.2.1 ...). */
export const NX_VERSION = process.env.NX_WORKTREE_AI_E2E_NX_VERSION || '24.0.6';
export const PLUGIN_NAME = 'nx-worktree-ai';
export const ARTIFACTS_DIR = '.nx-worktree-ai';

// ---------------------------------------------------------------------------------------------------
// Definitions

export interface ProjectDef {
  /** Project root from the workspace root, e.g. libs/auth. */
  root: string;
  /** Files to create, paths relative to the project root. */
  files?: Record<string, string>;
  /** Extra project.json fields (name and root are set). */
  projectJson?: Record<string, unknown>;
}

/** A `<name>.ai.md` batch file. */
export interface BatchDef {
  project: string;
  name: string;
  /** Folder of the batch file, relative to the project root. Default: `ai`. */
  dir?: string;
  /** The frontmatter of a batch file (README "The batch file"); written as YAML. */
  frontmatter: Record<string, unknown>;
  /** The prompt (markdown). */
  prompt: string;
}

/**
 * How a workspace gets its node_modules from the template:
 * - `symlink`: `<ws>/node_modules` -> `<template>/node_modules` (default; ~1 ms, measured and verified
 *   in e2e: Nx resolves the plugin and its dependencies through the link).
 * - `copy`: a full copy (fs.cpSync), for when something must not see a symlink.
 */
export type NodeModulesMode = 'symlink' | 'copy';

export interface CreateWorkspaceOptions {
  projects: Record<string, ProjectDef>;
  batches?: BatchDef[];
  /** Extra files, paths from the workspace root. */
  files?: Record<string, string>;
  /** Default: dist/nx-worktree-ai.tgz of this repository (run `npm run pack` first). */
  tarball?: string;
  nxVersion?: string;
  /**
   * How the plugin is registered in nx.json:
   * - `generator`: run the real `nx g nx-worktree-ai:init` (default when the package has an init generator);
   * - `nx-json`: write `plugins: ['nx-worktree-ai']` by hand;
   * - `none`: leave the plugin out.
   */
  init?: 'generator' | 'nx-json' | 'none';
  nodeModules?: NodeModulesMode;
  /** Prefix of the temp directory. */
  prefix?: string;
  /** Progress lines (template install, init). */
  log?: (line: string) => void;
}

export interface Workspace {
  /** The workspace root (a git repository, an Nx workspace). */
  root: string;
  /** Temp directory holding root, cacheDir and tmpDir; remove() deletes it. */
  base: string;
  cacheDir: string;
  tmpDir: string;
  template: string;
  projects: Record<string, ProjectDef>;
  batches: BatchDef[];
  /** Timings of creation, in ms. */
  timings: { template: number; nodeModules: number; init: number; total: number };
  remove(): void;
}

// ---------------------------------------------------------------------------------------------------
// Template: nx + the tarball installed once

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** [command, leading args] to run npm without a shell (npm's CLI script with this Node when known). */
function npmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /\.(c|m)?js$/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}

/** The parent's environment without what an outer npm script or Nx task set (it would leak into children). */
function cleanEnv(): NodeJS.ProcessEnv {
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

// ---------------------------------------------------------------------------------------------------
// Workspace

/** `key: <JSON>` per line: JSON values are valid YAML flow values, so no YAML writer is needed. */
export function renderBatchFile(batch: Pick<BatchDef, 'frontmatter' | 'prompt'>): string {
  const lines = Object.entries(batch.frontmatter)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  return `---\n${lines.join('\n')}\n---\n${batch.prompt.trimEnd()}\n`;
}

/** Path of a batch file from the workspace root. */
export function batchFilePath(projects: Record<string, ProjectDef>, batch: BatchDef): string {
  const project = projects[batch.project];
  if (!project) throw new Error(`batch ${batch.name}: unknown project ${batch.project}`);
  return posix(join(project.root, batch.dir ?? 'ai', `${batch.name}.ai.md`));
}

/** Writes (or rewrites) a batch file in the workspace; returns its path from the workspace root. */
export function writeBatch(ws: Pick<Workspace, 'root' | 'projects'>, batch: BatchDef): string {
  const file = batchFilePath(ws.projects, batch);
  writeFiles(ws.root, { [file]: renderBatchFile(batch) });
  return file;
}

const GITIGNORE = ['node_modules', 'dist', '.nx', ARTIFACTS_DIR, ''].join('\n');

export function createWorkspace(opts: CreateWorkspaceOptions): Workspace {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const tarball = resolve(opts.tarball ?? DEFAULT_TARBALL);
  const nxVersion = opts.nxVersion ?? NX_VERSION;
  const template = ensureTemplate({ tarball, nxVersion, log });
  const tTemplate = Date.now();

  const base = tempDir(opts.prefix ?? 'nxwa-e2e-');
  const root = join(base, 'workspace');
  const cacheDir = join(base, 'nx-cache');
  const tmpDir = join(base, 'tmp');
  for (const d of [root, cacheDir, tmpDir]) mkdirSync(d, { recursive: true });

  const batches = opts.batches ?? [];
  const ws: Workspace = {
    root,
    base,
    cacheDir,
    tmpDir,
    template,
    projects: opts.projects,
    batches,
    timings: { template: tTemplate - t0, nodeModules: 0, init: 0, total: 0 },
    remove: () => removeWorkspace(ws),
  };

  try {
    const files: Record<string, string> = {
      'package.json':
        JSON.stringify(
          {
            name: 'sample-workspace',
            version: '0.0.0',
            private: true,
            devDependencies: { nx: nxVersion, [PLUGIN_NAME]: `file:${posix(join(template, 'nx-worktree-ai.tgz'))}` },
          },
          null,
          2,
        ) + '\n',
      'nx.json': JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', analytics: false }, null, 2) + '\n',
      '.gitignore': GITIGNORE,
      'README.md': '# Sample workspace\n\nBuilt by testing/workspace.ts for nx-worktree-ai e2e tests and the demo.\n',
      ...opts.files,
    };
    for (const [name, project] of Object.entries(opts.projects)) {
      files[posix(join(project.root, 'project.json'))] =
        JSON.stringify(
          { name, $schema: relativeSchema(project.root), root: project.root, sourceRoot: posix(join(project.root, 'src')), ...project.projectJson },
          null,
          2,
        ) + '\n';
      for (const [path, content] of Object.entries(project.files ?? {})) files[posix(join(project.root, path))] = content;
    }
    writeFiles(root, files);
    for (const batch of batches) writeBatch(ws, batch);

    const tNm = Date.now();
    linkNodeModules(template, root, opts.nodeModules ?? 'symlink');
    ws.timings.nodeModules = Date.now() - tNm;

    git(root, 'init', '-q', '-b', 'main');
    git(root, 'config', 'user.name', TEST_GIT_IDENTITY.GIT_AUTHOR_NAME);
    git(root, 'config', 'user.email', TEST_GIT_IDENTITY.GIT_AUTHOR_EMAIL);
    git(root, 'config', 'commit.gpgsign', 'false');

    const tInit = Date.now();
    const init = opts.init ?? (hasInitGenerator(template) ? 'generator' : 'nx-json');
    if (init === 'generator') {
      log('nx g nx-worktree-ai:init');
      const res = runNxSync(ws, ['g', `${PLUGIN_NAME}:init`, '--no-interactive']);
      if (res.code !== 0) throw new Error(`nx g ${PLUGIN_NAME}:init failed (exit ${res.code})\n${res.stdout}\n${res.stderr}`);
      const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8'));
      if (!pluginRegistered(nxJson)) throw new Error(`nx g ${PLUGIN_NAME}:init did not register the plugin in nx.json:\n${JSON.stringify(nxJson, null, 2)}`);
    } else if (init === 'nx-json') {
      const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8'));
      nxJson.plugins = [PLUGIN_NAME];
      writeFileSync(join(root, 'nx.json'), JSON.stringify(nxJson, null, 2) + '\n');
    }
    ws.timings.init = Date.now() - tInit;

    // node_modules must stay out of git even if init rewrote .gitignore (a symlink is not matched by `node_modules/`).
    const gitignore = readFileSync(join(root, '.gitignore'), 'utf8');
    if (!gitignore.split(/\r?\n/).includes('node_modules')) writeFileSync(join(root, '.gitignore'), `node_modules\n${gitignore}`);

    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'initial workspace');
  } catch (err) {
    removeWorkspace(ws);
    throw err;
  }
  ws.timings.total = Date.now() - t0;
  return ws;
}

function relativeSchema(projectRoot: string): string {
  const up = projectRoot.split('/').map(() => '..').join('/');
  return `${up}/node_modules/nx/schemas/project-schema.json`;
}

function pluginRegistered(nxJson: { plugins?: Array<string | { plugin: string }> }): boolean {
  return (nxJson.plugins ?? []).some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
}

function hasInitGenerator(template: string): boolean {
  try {
    const pkgDir = join(template, 'node_modules', PLUGIN_NAME);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const generatorsFile = typeof pkg.generators === 'string' ? pkg.generators : 'generators.json';
    const generators = JSON.parse(readFileSync(join(pkgDir, generatorsFile), 'utf8'));
    const init = generators.generators?.init;
    return !!init && existsSync(join(pkgDir, init.factory.split('#')[0].replace(/^\.\//, '')) + '.js');
  } catch {
    return false;
  }
}

export function linkNodeModules(template: string, root: string, mode: NodeModulesMode): void {
  const target = join(template, 'node_modules');
  const link = join(root, 'node_modules');
  if (mode === 'symlink') symlinkSync(target, link, process.platform === 'win32' ? 'junction' : 'dir');
  else cpSync(target, link, { recursive: true, verbatimSymlinks: true });
}

export function removeWorkspace(ws: Pick<Workspace, 'root' | 'base'>): void {
  // Worktrees the plugin left behind live under ws.tmpDir (TMPDIR of every run), inside base.
  try {
    if (existsSync(join(ws.root, '.git'))) git(ws.root, 'worktree', 'prune');
  } catch {
    /* ignore */
  }
  // Remove the symlink itself first, never what it points to.
  const nm = join(ws.root, 'node_modules');
  try {
    if (lstatSync(nm).isSymbolicLink()) rmSync(nm);
  } catch {
    /* absent */
  }
  removeDir(ws.base);
}

// ---------------------------------------------------------------------------------------------------
// Running Nx

export interface NxResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  durationMs: number;
}

export interface RunNxOptions {
  /** Added to (and overriding) the environment described at nxEnv. */
  env?: Record<string, string | undefined>;
  /** Echo the output while it runs: true = this process's stdout/stderr, or a function per chunk. */
  stream?: boolean | ((chunk: string, from: 'stdout' | 'stderr') => void);
  /** Kill the Nx process group after this many ms (default 10 min). */
  timeoutMs?: number;
  /** Aborting kills the Nx process group (it runs detached, so a terminal's Ctrl-C does not reach it). */
  signal?: AbortSignal;
  cwd?: string;
}

/**
 * The environment of every Nx run: no daemon, no cloud, CI, no TUI, a cache directory outside the
 * workspace, TMPDIR outside the workspace (the plugin puts its worktrees there), a git identity, and
 * PATH starting with this repository's node_modules/.bin so the real `claude` CLI is found.
 */
export function nxEnv(ws: Pick<Workspace, 'cacheDir' | 'tmpDir'>, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    ...TEST_GIT_IDENTITY,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: ws.cacheDir,
    NX_SKIP_NX_CACHE: undefined,
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    TMPDIR: ws.tmpDir,
    TMP: ws.tmpDir,
    TEMP: ws.tmpDir,
    PATH: [join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

function nxCommand(root: string): [string, string[]] {
  // POSIX: the workspace's own bin, as a user runs it. Windows: the .cmd shim needs a shell, so run nx.js.
  if (process.platform === 'win32') return [process.execPath, [join(root, 'node_modules', 'nx', 'bin', 'nx.js')]];
  return [join(root, 'node_modules', '.bin', 'nx'), []];
}

/** Runs `nx <args>` in the workspace (asynchronously, so a scripted model server in this process keeps answering). */
export function runNx(ws: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'>, args: string[], opts: RunNxOptions = {}): Promise<NxResult> {
  const [cmd, lead] = nxCommand(ws.root);
  const t0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...lead, ...args], {
      cwd: opts.cwd ?? ws.root,
      env: nxEnv(ws, opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    const onData = (from: 'stdout' | 'stderr') => (buf: Buffer) => {
      const s = buf.toString('utf8');
      if (from === 'stdout') stdout += s;
      else stderr += s;
      output += s;
      if (opts.stream === true) (from === 'stdout' ? process.stdout : process.stderr).write(s);
      else if (typeof opts.stream === 'function') opts.stream(s, from);
    };
    child.stdout!.on('data', onData('stdout'));
    child.stderr!.on('data', onData('stderr'));
    const timer = setTimeout(() => {
      output += `\n[runNx] timeout after ${opts.timeoutMs ?? 600_000} ms: killing nx ${args.join(' ')}\n`;
      killTree(child.pid);
    }, opts.timeoutMs ?? 600_000);
    const onAbort = () => {
      output += `\n[runNx] aborted: killing nx ${args.join(' ')}\n`;
      killTree(child.pid, 'SIGTERM');
      setTimeout(() => killTree(child.pid), 3000).unref();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolvePromise({ code: code ?? 1, signal, stdout, stderr, output, durationMs: Date.now() - t0 });
    });
  });
}

function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

/** Synchronous variant, for setup steps that need no model server (init generator, show projects). */
export function runNxSync(ws: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'>, args: string[], opts: Pick<RunNxOptions, 'env' | 'timeoutMs' | 'cwd'> = {}): NxResult {
  const [cmd, lead] = nxCommand(ws.root);
  const t0 = Date.now();
  const res = spawnSync(cmd, [...lead, ...args], {
    cwd: opts.cwd ?? ws.root,
    env: nxEnv(ws, opts.env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
  });
  if (res.error) throw res.error;
  return {
    code: res.status ?? 1,
    signal: res.signal,
    stdout: res.stdout,
    stderr: res.stderr,
    output: res.stdout + res.stderr,
    durationMs: Date.now() - t0,
  };
}

// ---------------------------------------------------------------------------------------------------
// Reading results and state

/** Fields of result.json. */
export interface BatchResult {
  project: string;
  batch: string;
  status: 'succeeded' | 'failed' | 'replayed' | 'empty' | 'interrupted';
  agent: string | null;
  agentVersion: string | null;
  model: string | null;
  sessionId: string | null;
  turns: number | null;
  tokens: { input: number | null; output: number | null; cacheRead: number | null; cacheWrite: number | null } | null;
  costUsd: number | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  cacheKey: string | null;
  branch: string | null;
  commit: string | null;
  filesChanged: string[];
  insertions: number | null;
  deletions: number | null;
  error: string | null;
}

export const RESULT_FIELDS: Array<keyof BatchResult> = [
  'project',
  'batch',
  'status',
  'agent',
  'agentVersion',
  'model',
  'sessionId',
  'turns',
  'tokens',
  'costUsd',
  'durationMs',
  'startedAt',
  'finishedAt',
  'cacheKey',
  'branch',
  'commit',
  'filesChanged',
  'insertions',
  'deletions',
  'error',
];

export const ARTIFACT_FILES = ['result.json', 'transcript.jsonl', 'changes.patch', 'prompt.md'] as const;

export function artifactsDir(ws: Pick<Workspace, 'root'>, project: string, batch: string): string {
  return join(ws.root, ARTIFACTS_DIR, project, batch);
}

export function resultPath(ws: Pick<Workspace, 'root'>, project: string, batch: string): string {
  return join(artifactsDir(ws, project, batch), 'result.json');
}

export function readResult(ws: Pick<Workspace, 'root'>, project: string, batch: string): BatchResult {
  return JSON.parse(readFileSync(resultPath(ws, project, batch), 'utf8'));
}

export function tryReadResult(ws: Pick<Workspace, 'root'>, project: string, batch: string): BatchResult | undefined {
  try {
    return readResult(ws, project, batch);
  } catch {
    return undefined;
  }
}

/** mtime of result.json in ms, or undefined: tells whether a run touched a batch at all. */
export function resultMtime(ws: Pick<Workspace, 'root'>, project: string, batch: string): number | undefined {
  try {
    return statSync(resultPath(ws, project, batch)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Files under `dir` (from the workspace root; default the whole workspace), as sorted posix paths from
 * the workspace root. Skips .git and node_modules always, and gitignored files unless `includeIgnored`.
 */
export function listFiles(ws: Pick<Workspace, 'root'>, dir = '.', opts: { includeIgnored?: boolean } = {}): string[] {
  if (!opts.includeIgnored) {
    const out = git(ws.root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', dir);
    return [...new Set(out.split('\0').filter(Boolean))].filter((p) => existsSync(join(ws.root, p))).sort();
  }
  const result: string[] = [];
  const walk = (abs: string) => {
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const full = join(abs, entry.name);
      if (entry.isDirectory()) walk(full);
      else result.push(posix(relative(ws.root, full)));
    }
  };
  walk(resolve(ws.root, dir));
  return result.sort();
}

export function readWorkspaceFile(ws: Pick<Workspace, 'root'>, path: string): string {
  return readFileSync(join(ws.root, path), 'utf8');
}

export interface WorkspaceState {
  /** HEAD commit. */
  head: string;
  /** refs/heads/<branch> HEAD points at, or '' when detached. */
  branch: string;
  /** `git ls-files --stage`: the index's content (mode, blob, stage, path), not its stat cache. */
  index: string;
  /** `git status --porcelain`. */
  status: string;
  /** sha256 of every file that is tracked or untracked-not-ignored. */
  files: Record<string, string>;
}

/** Everything a run must leave alone: HEAD, index, status and the content of every non-ignored file. */
export function snapshotWorkspaceState(ws: Pick<Workspace, 'root'>): WorkspaceState {
  const g = (...args: string[]) => git(ws.root, '--no-optional-locks', ...args);
  const files: Record<string, string> = {};
  for (const path of listFiles(ws)) {
    const abs = join(ws.root, path);
    const st = lstatSync(abs);
    files[path] = st.isSymbolicLink() ? `symlink:${abs}` : sha256(readFileSync(abs));
  }
  return {
    head: g('rev-parse', 'HEAD'),
    branch: tryGit(ws.root, '--no-optional-locks', 'symbolic-ref', '-q', 'HEAD'),
    index: g('ls-files', '--stage'),
    status: g('status', '--porcelain=v1', '--untracked-files=all'),
    files,
  };
}

/**
 * Differences between two states, as human lines ([] = identical). `ignorePath` leaves out files a
 * run is allowed to write (a batch's outputs) from the file and status comparison.
 */
export function diffWorkspaceStates(before: WorkspaceState, after: WorkspaceState, ignorePath: (path: string) => boolean = () => false): string[] {
  const diffs: string[] = [];
  if (before.head !== after.head) diffs.push(`HEAD moved: ${before.head} -> ${after.head}`);
  if (before.branch !== after.branch) diffs.push(`HEAD branch changed: ${before.branch} -> ${after.branch}`);
  if (before.index !== after.index) diffs.push(`index changed:\n--- before\n${before.index}\n--- after\n${after.index}`);
  const statusLines = (s: string) =>
    s
      .split('\n')
      .filter(Boolean)
      .filter((l) => !ignorePath(l.slice(3).replace(/^"|"$/g, '')))
      .join('\n');
  if (statusLines(before.status) !== statusLines(after.status)) {
    diffs.push(`git status changed:\n--- before\n${statusLines(before.status)}\n--- after\n${statusLines(after.status)}`);
  }
  const paths = new Set([...Object.keys(before.files), ...Object.keys(after.files)]);
  for (const p of [...paths].sort()) {
    if (ignorePath(p)) continue;
    if (!(p in after.files)) diffs.push(`deleted: ${p}`);
    else if (!(p in before.files)) diffs.push(`created: ${p}`);
    else if (before.files[p] !== after.files[p]) diffs.push(`modified: ${p}`);
  }
  return diffs;
}

function tryGit(cwd: string, ...args: string[]): string {
  try {
    return git(cwd, ...args);
  } catch {
    return '';
  }
}

/** `git add -A && git commit` in the workspace; returns the new HEAD. */
export function commitAll(ws: Pick<Workspace, 'root'>, message: string): string {
  git(ws.root, 'add', '-A');
  git(ws.root, 'commit', '-q', '--allow-empty', '-m', message);
  return git(ws.root, 'rev-parse', 'HEAD');
}

/** Local branches, e.g. ['ai/auth/auth-module', 'main']. */
export function branches(ws: Pick<Workspace, 'root'>): string[] {
  return git(ws.root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/')
    .split('\n')
    .filter(Boolean)
    .sort();
}

/** Removes ANSI escapes from Nx output. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');
}

/**
 * How Nx reported each task of a run: `cache` when Nx restored it from its cache (the executor did
 * not run), `run` when it ran. Parsed from Nx's task lines (any output style).
 */
export function nxTaskLines(output: string): Map<string, 'cache' | 'run'> {
  const tasks = new Map<string, 'cache' | 'run'>();
  for (const line of stripAnsi(output).split('\n')) {
    // static/stream style: `> nx run p:t  [local cache]`; the CI summary style: `✔  nx run p:t  [local cache]`.
    const m = /^\s*(?:>|✔|✖|√|×)\s+nx run\s+(\S+?:\S+)(.*)$/.exec(line);
    if (!m) continue;
    const cached = /\[(local cache|remote cache|existing outputs match the cache, left as is)\]/.test(m[2]);
    tasks.set(m[1], cached ? 'cache' : 'run');
  }
  return tasks;
}

function posix(p: string): string {
  return p.split(sep).join('/');
}
