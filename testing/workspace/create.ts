/** A workspace: package.json, nx.json, projects and batch files, the template's node_modules, git init, the plugin's init. */
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git, removeDir, tempDir, TEST_GIT_IDENTITY, writeFiles } from '../temp';
import { ARTIFACTS_DIR, DEFAULT_TARBALL, NX_VERSION, PLUGIN_NAME, posix, type BatchDef, type CreateWorkspaceOptions, type NodeModulesMode, type ProjectDef, type Workspace } from './defs';
import { runNxSync } from './nx';
import { ensureTemplate } from './template';

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
      'README.md': '# Sample workspace\n\nBuilt by testing/workspace/ for nx-worktree-ai e2e tests and the demo.\n',
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
