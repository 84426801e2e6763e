/**
 * Results you can trust: reruns never clobber the user's edits of generated code, and nothing
 * deletes what it did not make. A real Nx workspace from the packed tarball, the real claude CLI
 * against the scripted Anthropic server. The tests share one workspace and run in order.
 *
 *   ui    theme                      (shop depends on ui: its batches wait for ui's)
 *   shop  banner ──> banner-spec     (banner-spec's outputs lie inside banner's)
 *         cart
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAnthropicServer, type AnthropicServer, type RequestLogEntry, type ScriptRule } from '../testing/scripted-model/anthropic';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';
import {
  commitAll,
  createWorkspace,
  git,
  linkNodeModules,
  nxTaskLines,
  readResult,
  readWorkspaceFile,
  runNx,
  runNxSync,
  stripAnsi,
  type BatchDef,
  type NxResult,
  type Workspace,
} from '../testing/workspace';

jest.setTimeout(10 * 60_000);

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;
/** The commit before any batch ran (the second clone starts there). */
let initial: string;

interface Batch extends BatchDef {
  rule: ScriptRule;
  files: Record<string, string>;
}

function batch(project: string, root: string, name: string, outputs: string[], files: Record<string, string>, dependsOn?: string[]): Batch {
  const match = `Write the ${name} files`;
  return {
    project,
    name,
    frontmatter: { description: `The ${name} files`, agent: 'claude', outputs, ...(dependsOn ? { dependsOn } : {}), timeout: '5m', maxTurns: 10 },
    prompt: `${match} of ${root}.\n`,
    rule: { name, match, steps: [...Object.entries(files).map(([path, content]) => ({ write: { path, content } })), { text: `${name} done.` }] },
    files,
  };
}

const THEME = batch('ui', 'libs/ui', 'theme', ['src/theme/**'], { 'libs/ui/src/theme/colors.ts': "export const primary = '#0a7';\n" });
const BANNER = batch('shop', 'libs/shop', 'banner', ['src/banner/**'], { 'libs/shop/src/banner/banner.ts': "export const banner = (text: string) => `** ${text} **`;\n" });
const BANNER_SPEC = batch('shop', 'libs/shop', 'banner-spec', ['src/banner/*.spec.ts'], { 'libs/shop/src/banner/banner.spec.ts': "import { banner } from './banner';\nconsole.assert(banner('x') === '** x **');\n" }, ['banner']);
const CART = batch('shop', 'libs/shop', 'cart', ['src/cart/**'], { 'libs/shop/src/cart/cart.ts': 'export const total = (prices: number[]) => prices.reduce((a, b) => a + b, 0);\n' });
const BATCHES = [THEME, BANNER, BANNER_SPEC, CART];
const BATCH_TASKS = BATCHES.map((b) => `${b.project}:ai-generate--${b.name}`);

function log(message: string): void {
  process.stdout.write(`[e2e] ${message}\n`);
}

async function nx(args: string[], where: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'> = ws, env: Record<string, string> = {}): Promise<NxResult & { requests: RequestLogEntry[] }> {
  const before = server.requests.length;
  const res = await runNx(where, args, { env: { ...claudeEnv, ...env } });
  const requests = server.requests.slice(before);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s, ${requests.length} model request(s)`);
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${stripAnsi(res.output)}`);
  return { ...res, requests };
}

const status = (root = ws.root) => git(root, 'status', '--porcelain', '-uall');

/** Another clone of the workspace at the commit before any batch ran, sharing its Nx cache folder. */
function cloneAtInitial(name: string): Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'> {
  const base = join(ws.base, name);
    const clone = { root: join(base, 'workspace'), cacheDir: ws.cacheDir, tmpDir: join(base, 'tmp') };
    mkdirSync(clone.tmpDir, { recursive: true });
    git(ws.base, 'clone', '-q', ws.root, clone.root);
    git(clone.root, 'checkout', '-q', initial);
    linkNodeModules(ws.template, clone.root, 'symlink');
  return clone;
}
const keptLine = (output: string, path: string) => stripAnsi(output).includes(`kept your version of ${path}`);

beforeAll(async () => {
  server = await startAnthropicServer({ rules: BATCHES.map((b) => b.rule) });
  ws = createWorkspace({
    projects: {
      ui: { root: 'libs/ui', files: { 'README.md': '# ui\n' } },
      shop: { root: 'libs/shop', projectJson: { implicitDependencies: ['ui'] }, files: { 'README.md': '# shop\n' } },
    },
    batches: BATCHES,
    prefix: 'nxwa-own-',
    log,
  });
  claudeEnv = claudeEnvFor(ws, server.url);
  initial = git(ws.root, 'rev-parse', 'HEAD');
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('reruns keep the user’s code', () => {
  test('the first run writes every batch’s files', async () => {
    const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static']);
    expect(res.requests.length).toBeGreaterThan(0);
    for (const b of BATCHES) for (const [path, content] of Object.entries(b.files)) expect({ path, content: readWorkspaceFile(ws, path) }).toEqual({ path, content });
    commitAll(ws, 'the batches’ files');
  });

  test('a rerun after a committed edit of generated code keeps it (Nx cache hit)', async () => {
    // banner-spec's own file: no other batch depends on it (an edit of a dependency's file is a
    // change of its dependents' inputs, and they run again after nx reset).
    const path = 'libs/shop/src/banner/banner.spec.ts';
    writeFileSync(join(ws.root, path), "import { banner } from './banner';\nconsole.assert(banner('y') === '** y **'); // mine\n");
    commitAll(ws, 'my banner');
    const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static']);
    expect(res.requests).toEqual([]);
    expect(readWorkspaceFile(ws, path)).toContain('// mine');
    expect(status()).toBe('');
    expect(keptLine(res.output, path)).toBe(true);
  });

  test('a rerun after an uncommitted edit keeps it, and so does one after nx reset (result cache)', async () => {
    const path = 'libs/shop/src/cart/cart.ts';
    writeFileSync(join(ws.root, path), 'export const total = (p: number[]) => p.length; // uncommitted\n');
    const before = status();
    expect(before).toContain(path);
    for (const reset of [false, true]) {
      if (reset) expect(runNxSync(ws, ['reset']).code).toBe(0);
      const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static']);
      expect({ reset, requests: res.requests.length }).toEqual({ reset, requests: 0 });
      expect(readWorkspaceFile(ws, path)).toContain('// uncommitted');
      expect(readWorkspaceFile(ws, 'libs/shop/src/banner/banner.spec.ts')).toContain('// mine');
      expect(status()).toBe(before);
      expect({ reset, kept: keptLine(res.output, path) }).toEqual({ reset, kept: true });
    }
    expect(readResult(ws, 'shop', 'cart').status).toBe('replayed');
    // No ref of "overwritten" edits: nothing was overwritten.
    expect(git(ws.root, 'for-each-ref', 'refs/nx-worktree-ai/overwritten/')).toBe('');
  });

  test('replaying a batch whose outputs hold another batch’s files deletes nothing (also after nx reset)', async () => {
    const before = status();
    for (const reset of [false, true]) {
      if (reset) expect(runNxSync(ws, ['reset']).code).toBe(0);
      const res = await nx(['run', 'shop:ai-generate--banner', '--skip-nx-cache']);
      expect(res.requests).toEqual([]);
      expect({ reset, spec: existsSync(join(ws.root, 'libs/shop/src/banner/banner.spec.ts')) }).toEqual({ reset, spec: true });
      expect(status()).toBe(before);
      expect(stripAnsi(res.output)).not.toContain('uncommitted edits');
    }
  });

  test('--exclude-task-dependencies replays with no model request (the key does not depend on the flags)', async () => {
    expect(runNxSync(ws, ['reset']).code).toBe(0);
    for (const b of [BANNER_SPEC, CART]) {
      const res = await nx(['run', `shop:ai-generate--${b.name}`, '--exclude-task-dependencies']);
      expect({ batch: b.name, requests: res.requests.length }).toEqual({ batch: b.name, requests: 0 });
      expect(readResult(ws, 'shop', b.name).status).toBe('replayed');
    }
  });

  test('a dependent batch is an Nx cache hit after its dependency re-ran to the same bytes', async () => {
    await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static']);
    // A tag on ui: a new Nx hash for ui's batch theme, which runs (replayed from the result cache
    // to the same change); cart, in shop, depends on it.
    const file = join(ws.root, 'libs/ui/project.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), tags: ['reworded'] }, null, 2));
    const res = await nx(['run', 'shop:ai-generate--cart', '--output-style=static']);
    expect(res.requests).toEqual([]);
    const tasks = nxTaskLines(res.output);
    expect({ theme: tasks.get('ui:ai-generate--theme'), cart: tasks.get('shop:ai-generate--cart') }).toEqual({ theme: 'run', cart: 'cache' });
    expect(readResult(ws, 'ui', 'theme').status).toBe('replayed');
    expect(stripAnsi(res.output)).not.toMatch(/flaky/i);
    git(ws.root, 'checkout', '--', 'libs/ui/project.json');
  });

  test('a second clone sharing the Nx cache gets every batch from it, and keeps its own edit', async () => {
    const clone = cloneAtInitial('clone2');
    const mine = 'libs/shop/src/cart/cart.ts';
    mkdirSync(join(clone.root, 'libs/shop/src/cart'), { recursive: true });
    writeFileSync(join(clone.root, mine), '// my own cart, not committed\n');
    // One cache folder, and one index of it: Nx keeps which hashes the folder holds in its
    // workspace-data database, which must be shared with the folder (as a remote cache would be).
    const shared = { NX_WORKSPACE_DATA_DIRECTORY: join(ws.base, 'shared-workspace-data') };
    // Clone 1 runs the batches (the same batch files and inputs): the Nx cache holds every batch.
    await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static'], ws, shared);

    const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static'], clone, shared);
    expect(res.requests).toEqual([]);
    const tasks = nxTaskLines(res.output);
    expect(Object.fromEntries(BATCH_TASKS.map((t) => [t, tasks.get(t)]))).toEqual(Object.fromEntries(BATCH_TASKS.map((t) => [t, 'cache'])));
    for (const b of BATCHES) {
      for (const [path, content] of Object.entries(b.files)) if (path !== mine) expect({ path, content: readWorkspaceFile({ root: clone.root }, path) }).toEqual({ path, content });
    }
    expect(readWorkspaceFile({ root: clone.root }, mine)).toBe('// my own cart, not committed\n');
    expect(keptLine(res.output, mine)).toBe(true);
  });

  test('--apply=commit forwarded through run-many reaches the aggregate: an Nx cache hit is applied as one commit per batch', async () => {
    const clone = cloneAtInitial('clone3');
    const shared = { NX_WORKSPACE_DATA_DIRECTORY: join(ws.base, 'shared-workspace-data') };
    const withCommit = ['run-many', '-t', 'ai-generate', '--parallel', '3', '--output-style=static', '--apply=commit'];
    // Nx hashes the option into the batch tasks: clone 1 fills the cache for it (its files are already there).
    await nx(withCommit, ws, shared);
    const res = await nx(withCommit, clone, shared);
    expect(res.requests).toEqual([]);
    const tasks = nxTaskLines(res.output);
    expect(Object.fromEntries(BATCH_TASKS.map((t) => [t, tasks.get(t)]))).toEqual(Object.fromEntries(BATCH_TASKS.map((t) => [t, 'cache'])));
    const subjects = git(clone.root, 'log', '--format=%s', `${initial}..HEAD`).split('\n').sort();
    expect(subjects).toEqual(BATCHES.map((b) => `${b.project}:${b.name}: The ${b.name} files (applied from the Nx cache)`).sort());
    expect(git(clone.root, 'status', '--porcelain')).toBe('');
  });
});
