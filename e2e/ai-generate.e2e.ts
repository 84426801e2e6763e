/**
 * The "Done when" list, end to end: a hand-built Nx workspace that installed the packed
 * tarball (dist/nx-worktree-ai.tgz), the real claude CLI, and the scripted Anthropic server of
 * testing/scripted-model running in this process.
 *
 * The tests share one workspace and run in order (each builds on the state the previous one left).
 * Keep the workspace for inspection: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { join } from 'node:path';
import { startAnthropicServer, type AnthropicServer, type RequestLogEntry } from '../testing/scripted-model/anthropic';
import {
  AUTH_DOCS,
  BATCH_DEPENDENCIES,
  batchId,
  DASHBOARD_SCAFFOLD,
  MIDDLEWARE,
  OUT_OF_SCOPE,
  OUT_OF_SCOPE_PATHS,
  outputGlobs,
  SAMPLE_PROJECTS,
  scriptRules,
  SIX_BATCHES,
  type FixtureBatch,
} from '../testing/fixtures/six-batches';
import {
  ARTIFACT_FILES,
  artifactsDir,
  branches,
  commitAll,
  createWorkspace,
  diffWorkspaceStates,
  git,
  listFiles,
  nxTaskLines,
  readResult,
  readWorkspaceFile,
  RESULT_FIELDS,
  resultMtime,
  runNx,
  runNxSync,
  snapshotWorkspaceState,
  stripAnsi,
  writeBatch,
  type NxResult,
  type Workspace,
} from '../testing/workspace';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';

// `testTimeout` of a jest.config project is ignored (it is a global option): set it here.
jest.setTimeout(10 * 60_000);

/** Simulated model latency per reply: long enough that parallel sessions visibly overlap. */
const DELAY_MS = 700;

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;

const TARGET = 'ai-generate';
const batchTarget = (b: Pick<FixtureBatch, 'name'>) => `${TARGET}--${b.name}`;
const BATCH_TASKS = SIX_BATCHES.map((b) => `${b.project}:${batchTarget(b)}`);

function log(message: string): void {
  process.stdout.write(`[e2e] ${message}\n`);
}

/** Runs nx with the scripted model's environment; returns the result and the model requests it caused. */
async function nx(args: string[], extraEnv: Record<string, string> = {}): Promise<NxResult & { requests: RequestLogEntry[] }> {
  const before = server.requests.length;
  const res = await runNx(ws, args, { env: { ...claudeEnv, ...extraEnv } });
  const requests = server.requests.slice(before);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s, ${requests.length} model request(s)`);
  return { ...res, requests };
}

function expectSuccess(res: NxResult): void {
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${stripAnsi(res.output)}`);
}

/** Rules (batches) that made main-loop model requests, with counts. */
function rulesRequested(requests: RequestLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) if (r.kind === 'main') counts[r.rule ?? '(no rule)'] = (counts[r.rule ?? '(no rule)'] ?? 0) + 1;
  return counts;
}

function expectFilesOf(batch: FixtureBatch): void {
  for (const [path, content] of Object.entries(batch.expectedFiles)) {
    expect({ path, exists: existsSync(join(ws.root, path)) }).toEqual({ path, exists: true });
    expect(readWorkspaceFile(ws, path)).toBe(content);
  }
}

/**
 * The scripted model answers an edited prompt with the same files as before: removed from the
 * workspace first, writing them is a change again (a run that changes nothing is "empty" and fails).
 */
function removeFilesOf(batch: FixtureBatch): void {
  for (const path of Object.keys(batch.expectedFiles)) rmSync(join(ws.root, path), { force: true });
}

const isUnder = (globs: string[]) => (path: string) => globs.some((g) => path === g.replace(/\/\*\*$/, '') || path.startsWith(g.replace(/\*\*$/, '')));

beforeAll(async () => {
  server = await startAnthropicServer({ rules: scriptRules(), delayMs: DELAY_MS });
  ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: SIX_BATCHES, prefix: 'nxwa-e2e-', log });
  claudeEnv = claudeEnvFor(ws, server.url);
  log(`workspace ${ws.root} (template ${(ws.timings.template / 1000).toFixed(1)} s, init ${(ws.timings.init / 1000).toFixed(1)} s, total ${(ws.timings.total / 1000).toFixed(1)} s)`);
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('nx-worktree-ai from the packed tarball', () => {
  test('the plugin loads and infers one target per batch plus the aggregate', () => {
    const projects = runNxSync(ws, ['show', 'projects', '--json']);
    expectSuccess(projects);
    // The root package.json is no project for Nx (no workspaces entry, no `nx` key), so not for the plugin either.
    expect(JSON.parse(projects.stdout).sort()).toEqual(['api', 'auth', 'dashboard']);

    const show = runNxSync(ws, ['show', 'project', 'auth', '--json']);
    expectSuccess(show);
    const auth = JSON.parse(show.stdout);
    const module = auth.targets[batchTarget({ name: 'auth-module' })];
    expect(module).toMatchObject({ executor: 'nx-worktree-ai:generate', cache: true, options: { batch: 'libs/auth/ai/auth-module.ai.md' } });
    expect(module.metadata?.nonAtomizedTarget).toBeUndefined();
    const tests = auth.targets[batchTarget({ name: 'auth-tests' })];
    expect(JSON.stringify(tests.dependsOn)).toContain(batchTarget({ name: 'auth-module' }));
    // The aggregate: `nx-worktree-ai apply` through run-commands (no worker process), auth-tests after auth-module it stacks on.
    expect(auth.targets[TARGET]).toMatchObject({
      executor: 'nx:run-commands',
      cache: false,
      options: { command: 'nx-worktree-ai apply auth --project-root=libs/auth --batches=libs/auth/ai/auth-module.ai.md,libs/auth/ai/auth-tests.ai.md' },
    });
    // Nx's outputs of a batch: only its artifact folder, so a cache restore never touches a source file.
    expect(module.outputs).toEqual(['{workspaceRoot}/.nx-worktree-ai/auth/auth-module']);
  });

  test('run-many --parallel 6 runs the six batches, independent ones at once, dependents after their dependencies', async () => {
    const before = snapshotWorkspaceState(ws);
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '6']);
    expectSuccess(res);

    // Every batch asked the model, and only its own rule answered it.
    expect(Object.keys(rulesRequested(res.requests)).sort()).toEqual(SIX_BATCHES.map((b) => b.rule.name).sort());

    const results = Object.fromEntries(SIX_BATCHES.map((b) => [batchId(b), readResult(ws, b.project, b.name)]));
    for (const b of SIX_BATCHES) {
      expectFilesOf(b);
      expect(branches(ws)).toContain(`ai/${b.project}/${b.name}`);
      for (const f of ARTIFACT_FILES) expect({ f, exists: existsSync(join(artifactsDir(ws, b.project, b.name), f)) }).toEqual({ f, exists: true });

      const r = results[batchId(b)];
      expect(Object.keys(r).sort()).toEqual([...RESULT_FIELDS].sort());
      expect(r).toMatchObject({ project: b.project, batch: b.name, status: 'succeeded', agent: 'claude', branch: `ai/${b.project}/${b.name}`, error: null });
      expect(typeof r.agentVersion).toBe('string');
      expect(typeof r.sessionId).toBe('string');
      expect(r.turns).toBeGreaterThanOrEqual(2);
      expect(r.tokens).toEqual({ input: expect.any(Number), output: expect.any(Number), cacheRead: expect.any(Number), cacheWrite: expect.any(Number) });
      expect(typeof r.costUsd).toBe('number');
      expect(r.durationMs).toBeGreaterThan(0);
      expect(new Date(r.finishedAt!).getTime() - new Date(r.startedAt!).getTime()).toBe(r.durationMs);
      expect(r.cacheKey).toMatch(/\S{16,}/);
      expect(r.commit).toBe(git(ws.root, 'rev-parse', `ai/${b.project}/${b.name}`));
      expect([...r.filesChanged].sort()).toEqual(Object.keys(b.expectedFiles).sort());
      expect(r.insertions).toBeGreaterThan(0);
      // The dependent batches read their dependencies' files in their worktree: the content is in the transcript.
      const transcript = readFileSync(join(artifactsDir(ws, b.project, b.name), 'transcript.jsonl'), 'utf8');
      for (const read of b.reads) {
        const dep = SIX_BATCHES.find((d) => read in d.expectedFiles)!;
        const firstLine = dep.expectedFiles[read].split('\n').find((l) => l.trim().length > 20)!;
        expect({ read, inTranscript: transcript.includes(JSON.stringify(firstLine).slice(1, -1)) }).toEqual({ read, inTranscript: true });
      }
    }

    const span = (id: string) => ({ start: Date.parse(results[id].startedAt!), end: Date.parse(results[id].finishedAt!) });
    // Dependents started after what they depend on ended.
    for (const [dependent, deps] of Object.entries(BATCH_DEPENDENCIES)) {
      for (const dep of deps) expect({ dependent, dep, after: span(dependent).start >= span(dep).end }).toEqual({ dependent, dep, after: true });
    }
    // The four independent batches overlapped pairwise.
    const roots = SIX_BATCHES.map(batchId).filter((id) => !BATCH_DEPENDENCIES[id]);
    for (const a of roots) {
      for (const b of roots) {
        if (a >= b) continue;
        const overlap = span(a).start < span(b).end && span(b).start < span(a).end;
        expect({ a, b, overlap }).toEqual({ a, b, overlap: true });
      }
    }
    expect(server.maxConcurrentSessions).toBeGreaterThanOrEqual(3);
    // Wall time far below the sum of batch times.
    const sum = SIX_BATCHES.reduce((s, b) => s + results[batchId(b)].durationMs!, 0);
    log(`wall ${(res.durationMs / 1000).toFixed(1)} s vs sum of batches ${(sum / 1000).toFixed(1)} s`);
    expect(res.durationMs).toBeLessThan(0.75 * sum);

    // The run left the user's HEAD and index alone; only the outputs appeared.
    const diffs = diffWorkspaceStates(before, snapshotWorkspaceState(ws), isUnder(SIX_BATCHES.flatMap(outputGlobs)));
    expect(diffs).toEqual([]);
  });

  test('the same command again replays all six batches from the Nx cache with no model request', async () => {
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '6']);
    expectSuccess(res);
    expect(res.requests).toEqual([]);
    const tasks = nxTaskLines(res.output);
    expect(Object.fromEntries(BATCH_TASKS.map((t) => [t, tasks.get(t)]))).toEqual(Object.fromEntries(BATCH_TASKS.map((t) => [t, 'cache'])));
    for (const b of SIX_BATCHES) expectFilesOf(b);
  });

  test('after nx reset, the plugin result cache replays every batch with no model request', async () => {
    expectSuccess(runNxSync(ws, ['reset']));
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '6']);
    expectSuccess(res);
    expect(res.requests).toEqual([]);
    for (const b of SIX_BATCHES) {
      expect({ batch: batchId(b), status: readResult(ws, b.project, b.name).status }).toEqual({ batch: batchId(b), status: 'replayed' });
      expectFilesOf(b);
    }
  });

  test('a seventh batch in the auth project runs alone: the six old ones make no model request', async () => {
    writeBatch(ws, AUTH_DOCS);
    commitAll(ws, 'add the auth-docs batch');
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '6']);
    expectSuccess(res);
    expect(rulesRequested(res.requests)).toEqual({ [AUTH_DOCS.rule.name]: expect.any(Number) });
    expect(readResult(ws, 'auth', AUTH_DOCS.name).status).toBe('succeeded');
    expectFilesOf(AUTH_DOCS);
    for (const b of SIX_BATCHES) expect(['succeeded', 'replayed']).toContain(readResult(ws, b.project, b.name).status);
  });

  test('nx affected after editing one prompt asks the model for that batch only; unaffected projects do not run', async () => {
    commitAll(ws, 'outputs of the first runs');
    const all = [...SIX_BATCHES, AUTH_DOCS];
    const mtimes = Object.fromEntries(all.map((b) => [batchId(b), resultMtime(ws, b.project, b.name)]));
    writeBatch(ws, { ...MIDDLEWARE, prompt: `${MIDDLEWARE.prompt}\nAlso give every middleware a one-line doc comment.\n` });
    removeFilesOf(MIDDLEWARE);

    const res = await nx(['affected', '-t', TARGET, '--base=HEAD', '--parallel', '6']);
    expectSuccess(res);
    expect(rulesRequested(res.requests)).toEqual({ [MIDDLEWARE.rule.name]: expect.any(Number) });
    expect(readResult(ws, 'api', 'middleware').status).toBe('succeeded');

    const ran = [...nxTaskLines(res.output).keys()];
    expect(ran).toContain(`api:${batchTarget(MIDDLEWARE)}`);
    for (const b of all.filter((x) => x.project !== 'api')) {
      expect(ran).not.toContain(`${b.project}:${batchTarget(b)}`);
      expect({ batch: batchId(b), mtime: resultMtime(ws, b.project, b.name) }).toEqual({ batch: batchId(b), mtime: mtimes[batchId(b)] });
    }
  });

  test('a batch that writes outside its outputs fails, names the paths, touches nothing and keeps its work on its branch', async () => {
    writeBatch(ws, OUT_OF_SCOPE);
    commitAll(ws, 'add the theme batch');
    const before = snapshotWorkspaceState(ws);

    const res = await nx(['run', `dashboard:${batchTarget(OUT_OF_SCOPE)}`]);
    expect(res.code).not.toBe(0);
    expect(rulesRequested(res.requests)).toEqual({ [OUT_OF_SCOPE.rule.name]: expect.any(Number) });
    const output = stripAnsi(res.output);
    for (const p of OUT_OF_SCOPE_PATHS) expect({ path: p, named: output.includes(p) }).toEqual({ path: p, named: true });

    expect(diffWorkspaceStates(before, snapshotWorkspaceState(ws))).toEqual([]);
    for (const p of Object.keys(OUT_OF_SCOPE.expectedFiles)) {
      if (p.startsWith('apps/dashboard/src/theme/')) continue;
      expect({ path: p, exists: existsSync(join(ws.root, p)) }).toEqual({ path: p, exists: false });
    }
    expect(existsSync(join(ws.root, 'apps/dashboard/src/theme/colors.ts'))).toBe(false);

    const branch = `ai/dashboard/${OUT_OF_SCOPE.name}`;
    expect(branches(ws)).toContain(branch);
    for (const [p, content] of Object.entries(OUT_OF_SCOPE.expectedFiles)) {
      expect(git(ws.root, 'show', `${branch}:${p}`) + '\n').toBe(content);
    }
    const result = readResult(ws, 'dashboard', OUT_OF_SCOPE.name);
    expect(result.status).toBe('failed');
    for (const p of OUT_OF_SCOPE_PATHS) expect(result.error).toContain(p);
    // The branch commit says what result.json says.
    expect(git(ws.root, 'rev-parse', branch)).toBe(result.commit);
    expect(git(ws.root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Status,valueonly)', branch)).toBe('failed');
  });

  test("the workspace's git index, HEAD and unrelated uncommitted edits are exactly as before a run", async () => {
    commitAll(ws, 'before unrelated edits');
    // Unrelated work in progress: a modified file, a staged change, an untracked file.
    writeFileSync(join(ws.root, 'README.md'), `${readWorkspaceFile(ws, 'README.md')}\nWork in progress.\n`);
    writeFileSync(join(ws.root, 'apps/api/README.md'), `${readWorkspaceFile(ws, 'apps/api/README.md')}\nStaged note.\n`);
    git(ws.root, 'add', 'apps/api/README.md');
    writeFileSync(join(ws.root, 'apps/api/README.md'), `${readWorkspaceFile(ws, 'apps/api/README.md')}\nUnstaged on top.\n`);
    mkdirSync(join(ws.root, 'notes'), { recursive: true });
    writeFileSync(join(ws.root, 'notes/todo.txt'), 'untracked notes\n');
    // An uncommitted prompt edit, so the batch really runs (a new result-cache key).
    writeBatch(ws, { ...DASHBOARD_SCAFFOLD, prompt: `${DASHBOARD_SCAFFOLD.prompt}\nUse semantic HTML elements.\n` });
    removeFilesOf(DASHBOARD_SCAFFOLD);

    const before = snapshotWorkspaceState(ws);
    const res = await nx(['run', `dashboard:${batchTarget(DASHBOARD_SCAFFOLD)}`]);
    expectSuccess(res);
    expect(rulesRequested(res.requests)).toEqual({ [DASHBOARD_SCAFFOLD.rule.name]: expect.any(Number) });
    expect(readResult(ws, 'dashboard', DASHBOARD_SCAFFOLD.name).status).toBe('succeeded');

    const after = snapshotWorkspaceState(ws);
    expect(after.head).toBe(before.head);
    expect(after.index).toBe(before.index);
    expect(diffWorkspaceStates(before, after, isUnder(outputGlobs(DASHBOARD_SCAFFOLD)))).toEqual([]);
    expect(listFiles(ws, 'notes')).toEqual(['notes/todo.txt']);
    expectFilesOf(DASHBOARD_SCAFFOLD);
  });
});
