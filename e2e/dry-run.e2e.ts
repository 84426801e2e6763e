/**
 * `--dry-run` end to end: the packed tarball in a hand-built Nx workspace, the real claude CLI and
 * the scripted model server (whose request log shows that a dry run asks nothing).
 *
 * The tests share one workspace and run in order. Keep it: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { join } from 'node:path';
import { batchId, SAMPLE_PROJECTS, scriptRules, SIX_BATCHES } from '../testing/fixtures/six-batches';
import { startAnthropicServer, type AnthropicServer, type RequestLogEntry } from '../testing/scripted-model/anthropic';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';
import {
  branches,
  createWorkspace,
  diffWorkspaceStates,
  git,
  listFiles,
  readResult,
  runNx,
  snapshotWorkspaceState,
  stripAnsi,
  type NxResult,
  type Workspace,
  type WorkspaceState,
} from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const DRY_RUN = ['run-many', '-t', 'ai-generate', '--dry-run', '--skip-nx-cache', '--output-style=static'];

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;

function log(message: string): void {
  process.stdout.write(`[e2e dry-run] ${message}\n`);
}

async function nx(args: string[]): Promise<NxResult & { requests: RequestLogEntry[]; text: string }> {
  const before = server.requests.length;
  const res = await runNx(ws, args, { env: claudeEnv });
  const requests = server.requests.slice(before);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s, ${requests.length} model request(s)`);
  return { ...res, requests, text: stripAnsi(res.output) };
}

/** Everything a dry run must leave alone: the workspace (files, index, HEAD), ignored files, git refs and worktrees. */
function fullState(): { state: WorkspaceState; ignored: string[]; refs: string; worktrees: string } {
  return {
    state: snapshotWorkspaceState(ws),
    // Nx's own data folder is written by the graph computation of any command (the plugin's inference cache with it).
    ignored: listFiles(ws, '.', { includeIgnored: true }).filter((p) => !p.startsWith('.nx/workspace-data/')),
    refs: git(ws.root, 'for-each-ref', '--format=%(refname) %(objectname)'),
    worktrees: git(ws.root, 'worktree', 'list', '--porcelain'),
  };
}

function expectUnchanged(before: ReturnType<typeof fullState>): void {
  const after = fullState();
  expect(diffWorkspaceStates(before.state, after.state)).toEqual([]);
  expect(after.ignored).toEqual(before.ignored);
  expect(after.refs).toBe(before.refs);
  expect(after.worktrees).toBe(before.worktrees);
}

/** The value of a `[project:batch]   key   value` line of the dry run's output. */
function field(text: string, id: string, key: string): string {
  const line = text.split('\n').find((l) => l.includes(`[${id}]   ${key.padEnd(12)} `));
  if (!line) throw new Error(`no "${key}" line for ${id} in:\n${text}`);
  return line.slice(line.indexOf(`[${id}]   ${key.padEnd(12)} `) + `[${id}]   ${key.padEnd(12)} `.length);
}

beforeAll(async () => {
  server = await startAnthropicServer({ rules: scriptRules(SIX_BATCHES), delayMs: 300 });
  ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: SIX_BATCHES, prefix: 'nxwa-e2e-dry-', log });
  claudeEnv = claudeEnvFor(ws, server.url);
  log(`workspace ${ws.root}`);
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('nx run-many -t ai-generate --dry-run', () => {
  test('prints each batch\'s command, prompt, worktree and cache key; no model request, no file, branch or worktree', async () => {
    const before = fullState();
    const res = await nx(DRY_RUN);
    if (res.code !== 0) throw new Error(res.text);
    expect(res.requests).toEqual([]);
    expectUnchanged(before);
    expect(branches(ws)).toEqual(['main']);
    log(`dry run of auth:auth-module:\n${res.text.split('\n').filter((l) => l.includes('[auth:auth-module]')).join('\n')}`);

    for (const b of SIX_BATCHES) {
      const id = batchId(b);
      const argv = JSON.parse(field(res.text, id, 'argv')) as string[];
      expect(argv[0]).toMatch(/[\\/]claude$/);
      expect(argv).toEqual(expect.arrayContaining(['-p', '--output-format', 'stream-json', '--permission-mode', 'acceptEdits', '--max-turns', '10']));
      expect(field(res.text, id, 'command')).toContain(' -p --output-format stream-json --verbose --disallowedTools ');
      expect(field(res.text, id, 'result cache')).toBe('miss: a run would start the agent');
      expect(field(res.text, id, 'cache key')).toMatch(/^[0-9a-f]{40}$/);
      expect(field(res.text, id, 'branch')).toBe(`ai/${b.project}/${b.name}`);
      expect(field(res.text, id, 'cwd')).toContain(join(ws.tmpDir, 'nx-worktree-ai'));
      expect(field(res.text, id, 'outputs')).toContain(`${SAMPLE_PROJECTS[b.project].root}/${(b.frontmatter.outputs as string[])[0]}`);
      const firstPromptLine = b.prompt.split('\n')[0];
      expect(res.text).toContain(`[${id}]   | ${firstPromptLine}`);
    }
  });

  test('without --skip-nx-cache: no model request, nothing written, reported as failed with the flag to add (Nx must not store a dry run)', async () => {
    const before = fullState();
    const res = await nx(['run-many', '-t', 'ai-generate', '--dry-run']);
    expect(res.code).not.toBe(0);
    expect(res.requests).toEqual([]);
    expectUnchanged(before);
    expect(res.text).toContain('run it with --skip-nx-cache, e.g. nx run-many -t ai-generate --dry-run --skip-nx-cache --output-style=static');
  });

  test('a real run after the dry runs still runs the agent of every batch', async () => {
    const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '6']);
    if (res.code !== 0) throw new Error(res.text);
    const rules = new Set(res.requests.filter((r) => r.kind === 'main').map((r) => r.rule));
    expect([...rules].sort()).toEqual(SIX_BATCHES.map((b) => b.rule.name).sort());
    for (const b of SIX_BATCHES) expect({ id: batchId(b), status: readResult(ws, b.project, b.name).status }).toEqual({ id: batchId(b), status: 'succeeded' });
  });

  test('a dry run after the real run sees the stored results: every batch would be replayed', async () => {
    const before = fullState();
    const res = await nx(DRY_RUN);
    if (res.code !== 0) throw new Error(res.text);
    expect(res.requests).toEqual([]);
    expectUnchanged(before);
    for (const b of SIX_BATCHES) {
      const r = readResult(ws, b.project, b.name);
      expect(field(res.text, batchId(b), 'cache key')).toBe(r.cacheKey);
      expect(field(res.text, batchId(b), 'result cache')).toMatch(new RegExp(`^HIT: a run would replay record ${git(ws.root, 'rev-parse', `refs/nx-worktree-ai/cache/${r.cacheKey}`)}`));
    }
  });
});
