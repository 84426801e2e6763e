/**
 * The README's Quick start as data, and a workspace shaped like the one `create-nx-workspace
 * --preset=ts` makes (built by hand from the preset's files: no generator, no registry lookup for
 * it), for the e2e that runs the Quick start's commands as they are written.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { git, removeDir, tempDir, writeFiles } from './temp';
import { NX_VERSION, REPO_ROOT } from './workspace';

/** The fenced code blocks of the README's "## Quick start" section (up to its first "###"), each as its lines. */
export function quickStartBlocks(readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')): string[][] {
  const start = readme.indexOf('\n## Quick start\n');
  if (start < 0) throw new Error('README.md has no "## Quick start" section');
  const rest = readme.slice(start + 1);
  const end = rest.search(/\n##+ /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1].split('\n').filter((l) => l.trim() !== ''));
}

/** The files of a fresh `create-nx-workspace <name> --preset=ts` with one library `packages/auth` (`nx g @nx/js:lib`). */
export function presetTsFiles(scope: string): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    // The preset also installs @nx/js, typescript, prettier, tslib and swc; nx alone keeps the install
    // to what this test needs (and @nx/js is not published for Nx 24).
    'package.json': json({ name: `@${scope}/source`, version: '0.0.0', license: 'MIT', scripts: {}, private: true, devDependencies: { nx: NX_VERSION }, workspaces: ['packages/*'] }),
    'nx.json': json({
      $schema: './node_modules/nx/schemas/nx-schema.json',
      analytics: false,
      namedInputs: { default: ['{projectRoot}/**/*', 'sharedGlobals'], production: ['default'], sharedGlobals: [] },
    }),
    'tsconfig.base.json': json({
      compilerOptions: {
        composite: true,
        declarationMap: true,
        emitDeclarationOnly: true,
        importHelpers: true,
        isolatedModules: true,
        lib: ['es2022'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noEmitOnError: true,
        noFallthroughCasesInSwitch: true,
        noImplicitOverride: true,
        noImplicitReturns: true,
        noUnusedLocals: true,
        skipLibCheck: true,
        strict: true,
        target: 'es2022',
        customConditions: ['development'],
      },
    }),
    'tsconfig.json': json({ extends: './tsconfig.base.json', compileOnSave: false, files: [], references: [{ path: './packages/auth' }] }),
    '.gitignore': ['# compiled output', 'dist', 'tmp', 'out-tsc', '', '# dependencies', 'node_modules', '', '.nx/cache', '.nx/workspace-data', ''].join('\n'),
    'README.md': `# ${scope}\n\nAn Nx workspace (preset ts).\n`,
    'packages/auth/package.json': json({
      name: `@${scope}/auth`,
      version: '0.0.1',
      private: true,
      type: 'module',
      main: './dist/index.js',
      module: './dist/index.js',
      types: './dist/index.d.ts',
      exports: { './package.json': './package.json', '.': { development: './src/index.ts', types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' } },
    }),
    'packages/auth/tsconfig.json': json({ extends: '../../tsconfig.base.json', files: [], include: [], references: [{ path: './tsconfig.lib.json' }] }),
    'packages/auth/tsconfig.lib.json': json({
      extends: '../../tsconfig.base.json',
      compilerOptions: { baseUrl: '.', rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo', emitDeclarationOnly: false, types: ['node'] },
      include: ['src/**/*.ts'],
      references: [],
    }),
    'packages/auth/src/index.ts': "export * from './lib/auth.js';\n",
    'packages/auth/src/lib/auth.ts': 'export function auth(): string {\n  return \'auth\';\n}\n',
    'packages/auth/README.md': '# auth\n\nThis library was generated with [Nx](https://nx.dev).\n',
  };
}

export interface PresetWorkspace {
  /** Holds the workspace, the clone link, the Nx cache and TMPDIR. */
  base: string;
  root: string;
  cacheDir: string;
  tmpDir: string;
  remove(): void;
}

/**
 * `<base>/<scope>`: the preset-shaped workspace, a git repository with one commit, as
 * create-nx-workspace leaves it; `<base>/<cloneName>`: a link to this repository, where the
 * Quick start's first block built the tarball.
 */
export function createPresetWorkspace(scope: string, cloneName: string): PresetWorkspace {
  const base = tempDir('nxwa-e2e-quick-start-');
  const root = join(base, scope);
  const ws: PresetWorkspace = { base, root, cacheDir: join(base, 'nx-cache'), tmpDir: join(base, 'tmp'), remove: () => undefined };
  ws.remove = () => {
    const link = join(base, cloneName);
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(link);
    removeDir(base);
  };
  for (const dir of [root, ws.cacheDir, ws.tmpDir]) mkdirSync(dir, { recursive: true });
  symlinkSync(REPO_ROOT, join(base, cloneName), 'dir');
  writeFiles(root, presetTsFiles(scope));
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'Initial commit');
  return ws;
}

export interface ShellResult {
  code: number;
  output: string;
}

/** Runs one line as a user's shell would (bash -c), asynchronously so a scripted model server in this process keeps answering. */
export function runShellLine(line: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[quick-start] timeout after ${timeoutMs} ms: killing ${line}\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}
