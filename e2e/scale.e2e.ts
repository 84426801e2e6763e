/**
 * Scale features end to end against the packed tarball, with the real claude CLI and the scripted
 * Anthropic server: the per-agent session cap across Nx worker processes, sparse worktrees in a
 * multi-project workspace, and sharing the result cache between clones through a git remote.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type ScriptRule } from '../testing/scripted-model/anthropic';
import { git, removeDir, tempDir, useWorktreeConfig } from '../testing/temp';
import { createWorkspace, readResult, runNx, type BatchDef, type NxResult, type ProjectDef, type Workspace } from '../testing/workspace';

jest.setTimeout(10 * 60_000);

let server: AnthropicServer;
const cleanup: (() => void)[] = [];

function expectSuccess(res: NxResult): void {
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.output}`);
}

function writeRule(name: string, match: string, path: string): ScriptRule {
  return { name, match, steps: [{ write: { path, content: `export const ${name.replace(/-/g, '_')} = true;\n` } }, { text: `Wrote ${path}.` }] };
}

const CAPPED: BatchDef[] = Array.from({ length: 8 }, (_, i) => ({
  project: 'fleet',
  name: `unit-${i}`,
  frontmatter: { agent: 'claude', outputs: [`src/unit-${i}/**`], maxTurns: 5 },
  prompt: `Capped batch unit-${i}: write its module.\n`,
}));

const SPARSE_PROJECTS: Record<string, ProjectDef> = {
  app: { root: 'apps/app', files: { 'src/main.ts': 'export {};\n' }, projectJson: { implicitDependencies: ['lib-a'] } },
  'lib-a': { root: 'libs/lib-a', files: { 'src/index.ts': 'export const a = 1;\n' } },
  'lib-b': { root: 'libs/lib-b', files: { 'src/index.ts': 'export const b = 1;\n' } },
};
const SPARSE_BATCH: BatchDef = {
  project: 'app',
  name: 'look-around',
  frontmatter: { agent: 'claude', outputs: ['src/gen/**'], maxTurns: 5 },
  prompt: 'Sparse probe: list what is checked out.\n',
};

beforeAll(async () => {
  server = await startAnthropicServer({
    delayMs: 600,
    rules: [
      ...CAPPED.map((b) => writeRule(b.name, b.prompt.trim(), `libs/fleet/src/${b.name}/index.ts`)),
      {
        name: SPARSE_BATCH.name,
        match: SPARSE_BATCH.prompt.trim(),
        steps: [{ bash: 'mkdir -p apps/app/src/gen && ls libs apps > apps/app/src/gen/seen.txt' }, { text: 'Listed.' }],
      },
      writeRule('shared', 'Shared batch: write the shared module.', 'libs/shared/src/shared/index.ts'),
    ],
  });
}, 600_000);

afterAll(async () => {
  await server?.close();
  cleanup.reverse().forEach((fn) => fn());
});

function workspace(projects: Record<string, ProjectDef>, batches: BatchDef[], files: Record<string, string> = {}): { ws: Workspace; env: Record<string, string> } {
  const ws = createWorkspace({ projects, batches, files, prefix: 'nxwa-e2e-scale-' });
  cleanup.push(() => ws.remove());
  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  return { ws, env: claudeTestEnv(server.url, configDir) };
}

test('--parallel 8 with a claude cap of 2: the model never sees more than 2 sessions at once', async () => {
  const { ws, env } = workspace({ fleet: { root: 'libs/fleet', files: { 'src/index.ts': '' } } }, CAPPED);
  const nxJson = JSON.parse(readFileSync(join(ws.root, 'nx.json'), 'utf8'));
  nxJson.targetDefaults = { 'nx-worktree-ai:generate': { options: { agentConcurrency: { claude: 2 } } } };
  writeFileSync(join(ws.root, 'nx.json'), JSON.stringify(nxJson, null, 2));
  git(ws.root, 'commit', '-qam', 'cap claude at 2');
  // git copies the main worktree's config.worktree into every batch worktree it adds, while other
  // batches' agents run.
  useWorktreeConfig(ws.root);

  const before = server.requests.length;
  const res = await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '8', '--output-style=static'], { env });
  expectSuccess(res);
  for (const b of CAPPED) expect(readResult(ws, 'fleet', b.name).status).toBe('succeeded');
  expect(server.requests.slice(before).filter((r) => r.kind === 'main').length).toBeGreaterThanOrEqual(16);
  expect(server.maxConcurrentSessions).toBeLessThanOrEqual(2);
  expect(server.maxConcurrentSessions).toBe(2);
  expect(res.output).toMatch(/waiting for a claude slot \(at most 2 at once\)/);

  // Started together by one Nx command: they share snapshots taken by one of them (Nx forks every
  // task from the same process), and each shared one is the parent of a batch that took it.
  const runs = CAPPED.map((b) => ({
    snapshot: JSON.parse(readFileSync(join(ws.root, '.nx-worktree-ai', 'fleet', b.name, 'timings.json'), 'utf8')).snapshot as string,
    parent: git(ws.root, 'rev-parse', `${readResult(ws, 'fleet', b.name).commit}^`),
  }));
  const taken = new Set(runs.filter((r) => r.snapshot === 'taken').map((r) => r.parent));
  const shared = runs.filter((r) => r.snapshot === 'shared');
  expect(shared.length).toBeGreaterThan(0);
  for (const r of shared) expect(taken).toContain(r.parent);
});

test('a sparse batch sees its project and its dependencies, not the rest; its result applies to the full workspace', async () => {
  const { ws, env } = workspace(SPARSE_PROJECTS, [SPARSE_BATCH]);
  const res = await runNx(ws, ['run', 'app:ai-generate--look-around', '--sparse=always'], { env });
  expectSuccess(res);
  expect(res.output).toMatch(/sparse: apps\/app, libs\/lib-a/);
  const seen = readFileSync(join(ws.root, 'apps/app/src/gen/seen.txt'), 'utf8').split('\n');
  expect(seen).toContain('lib-a');
  expect(seen).not.toContain('lib-b');
  expect(readResult(ws, 'app', 'look-around').filesChanged).toEqual(['apps/app/src/gen/seen.txt']);
  expect(existsSync(join(ws.root, 'libs/lib-b/src/index.ts'))).toBe(true);
  expect(git(ws.root, 'status', '--porcelain')).toBe('?? apps/app/src/gen/');
});

test('two clones and a bare remote: clone 1 generates and pushes results, clone 2 pulls and replays with no model request', async () => {
  const shared: BatchDef = {
    project: 'shared',
    name: 'shared',
    frontmatter: { agent: 'claude', outputs: ['src/shared/**'], maxTurns: 5 },
    prompt: 'Shared batch: write the shared module.\n',
  };
  const { ws: first, env } = workspace({ shared: { root: 'libs/shared', files: { 'src/index.ts': '' } } }, [shared]);
  const bare = tempDir('nxwa-e2e-remote-');
  cleanup.push(() => removeDir(bare));
  git(bare, 'init', '-q', '--bare');
  git(first.root, 'remote', 'add', 'origin', bare);
  git(first.root, 'push', '-q', 'origin', 'HEAD:refs/heads/main');

  expectSuccess(await runNx(first, ['run-many', '-t', 'ai-generate'], { env }));
  expect(readResult(first, 'shared', 'shared').status).toBe('succeeded');
  const push = await runNxCli(first, ['cache', 'push']);
  expect(push).toMatch(/pushed 1 result/);

  const { ws: second } = workspace({}, []);
  removeDir(second.root);
  git(second.base, 'clone', '-q', '-b', 'main', bare, 'workspace');
  // node_modules is not in git: give the clone the same install as the first workspace
  const { linkNodeModules } = await import('../testing/workspace');
  linkNodeModules(second.template, second.root, 'symlink');
  expect(await runNxCli(second, ['cache', 'pull'])).toMatch(/pulled 1 result/);
  const before = server.requests.length;
  const res = await runNx(second, ['run-many', '-t', 'ai-generate'], { env });
  expectSuccess(res);
  expect(server.requests.length).toBe(before);
  expect(readResult(second, 'shared', 'shared').status).toBe('replayed');
  expect(readFileSync(join(second.root, 'libs/shared/src/shared/index.ts'), 'utf8')).toBe(readFileSync(join(first.root, 'libs/shared/src/shared/index.ts'), 'utf8'));
});

/** `nx-worktree-ai <args>`, the package's bin, as installed in the workspace. */
async function runNxCli(ws: Workspace, args: string[]): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  return execFileSync(join(ws.root, 'node_modules', '.bin', 'nx-worktree-ai'), args, { cwd: ws.root, encoding: 'utf8' });
}
