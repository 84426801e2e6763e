/**
 * From a plan to a report, end to end: a hand-built Nx workspace that installed the packed tarball,
 * the real claude CLI against the scripted model server of testing/scripted-model.
 *
 *   nx g nx-worktree-ai:plan plan.md --dry-run   shows the six files, writes nothing
 *   nx g nx-worktree-ai:plan plan.md             writes them (again: changes nothing)
 *   nx run-many -t ai-generate --parallel 6      the plan's order and parallelism (result.json times)
 *   nx-worktree-ai report / nx run <root>:ai-report   the table matches result.json
 *   report.html in headless Chromium             one bar per batch, parallel bars overlap (screenshot)
 *
 * The tests share one workspace and run in order. Keep it: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../packages/nx-worktree-ai/src/agents/format';
import { launchChromium } from '../testing/browser';
import { CAST_PLAN_BATCHES, CAST_SPARSE_PLAN, CODE_WRITER_AGENT, type CastPlanBatch } from '../testing/fixtures/cast-plan';
import { markdownPlan } from '../testing/fixtures/plan';
import { BATCH_DEPENDENCIES, batchId, SAMPLE_PROJECTS, scriptRules, SIX_BATCHES, type FixtureBatch } from '../testing/fixtures/six-batches';
import { startAnthropicServer, type AnthropicServer, type RequestLogEntry } from '../testing/scripted-model/anthropic';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';
import {
  artifactsDir,
  commitAll,
  createWorkspace,
  diffWorkspaceStates,
  nxEnv,
  readResult,
  readWorkspaceFile,
  runNx,
  runNxSync,
  snapshotWorkspaceState,
  stripAnsi,
  type BatchResult,
  type NxResult,
  type Workspace,
} from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const DELAY_MS = 700;
const CAST_DELAY_MS = 1500;
/** Where the report screenshot is saved (kept after the run, to be looked at). */
const SCREENSHOT_DIR = join(tmpdir(), 'nx-worktree-ai-e2e-screenshots');

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;

const batchPath = (b: FixtureBatch) => `${SAMPLE_PROJECTS[b.project].root}/ai/${b.name}.ai.md`;

function log(message: string): void {
  process.stdout.write(`[e2e plan] ${message}\n`);
}

function expectSuccess(res: NxResult): void {
  if (res.code !== 0) throw new Error(`exit ${res.code}:\n${stripAnsi(res.output)}`);
}

async function nx(args: string[]): Promise<NxResult & { requests: RequestLogEntry[] }> {
  const before = server.requests.length;
  const res = await runNx(ws, args, { env: claudeEnv });
  const requests = server.requests.slice(before);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s, ${requests.length} model request(s)`);
  return { ...res, requests };
}

describe('from a plan to a report', () => {
  // Inside the describe: a run of only the CAST tests below does not build this workspace.
  beforeAll(async () => {
    server = await startAnthropicServer({ rules: scriptRules(SIX_BATCHES), delayMs: DELAY_MS });
    ws = createWorkspace({ projects: SAMPLE_PROJECTS, prefix: 'nxwa-e2e-plan-', log });
    writeFileSync(join(ws.root, 'plan.md'), markdownPlan('Sample workspace', SIX_BATCHES, 'The six batches of the sample workspace, planned in one file.'));
    commitAll(ws, 'the plan');
    claudeEnv = claudeEnvFor(ws, server.url);
    log(`workspace ${ws.root}`);
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    removeUnlessKept(ws, log);
  });

  test('nx g nx-worktree-ai:plan plan.md --dry-run lists the six files and writes nothing', () => {
    const before = snapshotWorkspaceState(ws);
    const res = runNxSync(ws, ['g', 'nx-worktree-ai:plan', 'plan.md', '--dry-run', '--no-interactive']);
    expectSuccess(res);
    const output = stripAnsi(res.output);
    for (const b of SIX_BATCHES) expect({ file: batchPath(b), listed: output.includes(`CREATE ${batchPath(b)}`) }).toEqual({ file: batchPath(b), listed: true });
    expect(output).toMatch(/dry.?run/i);
    expect(diffWorkspaceStates(before, snapshotWorkspaceState(ws))).toEqual([]);
  });

  test('nx g nx-worktree-ai:plan plan.md writes one batch file per section; running it again changes nothing', () => {
    const res = runNxSync(ws, ['g', 'nx-worktree-ai:plan', 'plan.md', '--no-interactive']);
    expectSuccess(res);
    for (const b of SIX_BATCHES) {
      const text = readWorkspaceFile(ws, batchPath(b));
      expect(text).toContain('# Written by nx-worktree-ai:plan from plan.md');
      expect(text.endsWith(b.prompt)).toBe(true);
    }
    const api = JSON.parse(runNxSync(ws, ['show', 'project', 'api', '--json']).stdout);
    expect(JSON.stringify(api.targets['ai-generate--integration-tests'].dependsOn)).toContain('ai-generate--api-routes');
    expect(JSON.stringify(api.targets['ai-generate--integration-tests'].dependsOn)).toContain('ai-generate--middleware');
    commitAll(ws, 'batch files from the plan');

    const before = snapshotWorkspaceState(ws);
    const again = runNxSync(ws, ['g', 'nx-worktree-ai:plan', 'plan.md', '--no-interactive']);
    expectSuccess(again);
    expect(stripAnsi(again.output)).toContain('6 batch(es), 6 unchanged');
    expect(diffWorkspaceStates(before, snapshotWorkspaceState(ws))).toEqual([]);
  });

  test("run-many respects the plan's order and parallelism (result.json timestamps)", async () => {
    const res = await nx(['run-many', '-t', 'ai-generate', '--parallel', '6']);
    expectSuccess(res);
    const results: Record<string, BatchResult> = Object.fromEntries(SIX_BATCHES.map((b) => [batchId(b), readResult(ws, b.project, b.name)]));
    for (const b of SIX_BATCHES) expect({ batch: batchId(b), status: results[batchId(b)].status }).toEqual({ batch: batchId(b), status: 'succeeded' });

    const span = (id: string) => ({ start: Date.parse(results[id].startedAt!), end: Date.parse(results[id].finishedAt!) });
    for (const [dependent, deps] of Object.entries(BATCH_DEPENDENCIES)) {
      for (const dep of deps) expect({ dependent, dep, after: span(dependent).start >= span(dep).end }).toEqual({ dependent, dep, after: true });
    }
    const independent = SIX_BATCHES.map(batchId).filter((id) => !BATCH_DEPENDENCIES[id]);
    for (const a of independent) {
      for (const b of independent) {
        if (a >= b) continue;
        const overlap = span(a).start < span(b).end && span(b).start < span(a).end;
        expect({ a, b, overlap }).toEqual({ a, b, overlap: true });
      }
    }
  });

  test('nx-worktree-ai report prints a row per batch that matches its result.json, with totals; ai-report runs it', () => {
    const bin = join(ws.root, 'node_modules', '.bin', 'nx-worktree-ai');
    const res = spawnSync(bin, ['report'], { cwd: join(ws.root, 'apps'), env: nxEnv(ws), encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`nx-worktree-ai report: exit ${res.status}\n${res.stdout}\n${res.stderr}`);
    log(`nx-worktree-ai report:\n${res.stdout}`);
    const lines = res.stdout.split('\n');
    // The report is of the last nx command: its heading, then its table.
    expect(lines[0]).toMatch(/^run \d{8}-\d{6}-\d+ · .* · 6 batch\(es\)$/);
    expect(lines[2].trim().split(/\s{2,}/)).toEqual(['batch', 'status', 'cache', 'duration', 'turns', 'tokens in', 'tokens out', 'cost', 'files', 'branch']);
    let cost = 0;
    for (const b of SIX_BATCHES) {
      const r = readResult(ws, b.project, b.name);
      const cells = lines.find((l) => l.startsWith(`${batchId(b)} `))!.trim().split(/\s{2,}/);
      expect({ batch: batchId(b), cells: [cells[1], cells[2], cells[3], cells[4], cells[7], cells[8], cells[9]] }).toEqual({
        batch: batchId(b),
        cells: [r.status, 'no', formatDuration(r.durationMs!), String(r.turns), `$${r.costUsd!.toFixed(4)}`, String(r.filesChanged.length), r.branch],
      });
      cost += r.costUsd!;
    }
    const total = lines.find((l) => l.startsWith('total ('))!.trim().split(/\s{2,}/);
    expect(total.slice(0, 2)).toEqual(['total (6)', '6 ok']);
    expect(total[7]).toBe(`$${cost.toFixed(4)}`);
    expect(res.stdout).toContain('report: ../.nx-worktree-ai/report.html');
    expect(existsSync(join(ws.root, '.nx-worktree-ai', 'report.html'))).toBe(true);

    // ai-report goes on the root project where Nx has one: an `nx` key makes the root package.json one.
    const pkg = JSON.parse(readFileSync(join(ws.root, 'package.json'), 'utf8'));
    writeFileSync(join(ws.root, 'package.json'), JSON.stringify({ ...pkg, nx: {} }, null, 2) + '\n');
    const root = JSON.parse(runNxSync(ws, ['show', 'project', 'sample-workspace', '--json']).stdout);
    expect(root.targets['ai-report']).toMatchObject({ executor: 'nx:run-commands', cache: false });
    const target = runNxSync(ws, ['run', 'sample-workspace:ai-report', '--', '--no-html']);
    expectSuccess(target);
    for (const b of SIX_BATCHES) expect(stripAnsi(target.output)).toContain(batchId(b));
  });

  test('report.html in headless Chromium: one bar per batch, parallel bars overlap, dependents after, no network', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const url = `file://${join(ws.root, '.nx-worktree-ai', 'report.html')}`;
      await page.goto(url);
      const bars = await page.$$eval('svg.chart rect.bar', (els) =>
        els.map((e) => {
          const box = e.getBoundingClientRect();
          return { id: e.getAttribute('data-batch')!, left: box.left, right: box.right, top: box.top, height: box.height };
        }),
      );
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = join(ws.base, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      copyFileSync(shot, join(SCREENSHOT_DIR, 'report.png'));
      log(`screenshot ${shot} (copy: ${join(SCREENSHOT_DIR, 'report.png')})`);

      expect(requests).toEqual([url]);
      expect(bars.map((b) => b.id).sort()).toEqual(SIX_BATCHES.map(batchId).sort());
      const bar = Object.fromEntries(bars.map((b) => [b.id, b]));
      for (const b of bars) expect({ id: b.id, visible: b.right - b.left >= 3 && b.height > 5 }).toEqual({ id: b.id, visible: true });
      expect(new Set(bars.map((b) => Math.round(b.top))).size).toBe(6); // one row each

      const independent = SIX_BATCHES.map(batchId).filter((id) => !BATCH_DEPENDENCIES[id]);
      for (const a of independent) {
        for (const c of independent) {
          if (a >= c) continue;
          const overlap = bar[a].left < bar[c].right && bar[c].left < bar[a].right;
          expect({ a, c, overlap }).toEqual({ a, c, overlap: true });
        }
      }
      for (const [dependent, deps] of Object.entries(BATCH_DEPENDENCIES)) {
        for (const dep of deps) expect({ dependent, dep, after: bar[dependent].left >= bar[dep].right - 1 }).toEqual({ dependent, dep, after: true });
      }
      const rows = await page.$$eval('table.batches tbody tr[data-batch]', (els) => els.map((e) => e.getAttribute('data-batch')));
      expect(rows.sort()).toEqual(SIX_BATCHES.map(batchId).sort());
      const links = await page.$$eval('table.batches a', (els) => els.map((e) => (e as unknown as { href: string }).href));
      for (const b of SIX_BATCHES) {
        for (const f of ['prompt.md', 'transcript.jsonl', 'changes.patch']) {
          expect(links).toContain(`file://${join(ws.root, '.nx-worktree-ai', b.project, b.name, f)}`);
        }
      }
    } finally {
      await browser.close();
    }
  });
});

/**
 * A CAST plan over whole: the planner-format plan whose manifest has depends_on and owns_files,
 * imported with nx g nx-worktree-ai:plan (projects and outputs from owns_files, the sparse graph,
 * the code-writer agent definition as claude --agent), then run with nx run-many: the independent
 * batches' claude sessions overlap in time on the scripted model server, the dependent one starts
 * after what it depends on.
 */
describe('a CAST plan with depends_on and owns_files', () => {
  let castServer: AnthropicServer;
  let castWs: Workspace;
  let castEnv: Record<string, string>;
  const fileOf = (b: CastPlanBatch) => `${SAMPLE_PROJECTS[b.project].root}/ai/${b.name}.ai.md`;
  const idOf = (b: CastPlanBatch) => `${b.project}:${b.name}`;

  beforeAll(async () => {
    // Slower replies than above: a session (three replies) then lasts seconds, far longer than claude's start-up spread.
    castServer = await startAnthropicServer({ rules: CAST_PLAN_BATCHES.map((b) => b.rule), delayMs: CAST_DELAY_MS });
    castWs = createWorkspace({ projects: SAMPLE_PROJECTS, prefix: 'nxwa-e2e-cast-', log });
    writeFileSync(join(castWs.root, 'plan.md'), CAST_SPARSE_PLAN);
    mkdirSync(join(castWs.root, '.claude', 'agents'), { recursive: true });
    writeFileSync(join(castWs.root, '.claude', 'agents', 'code-writer.md'), CODE_WRITER_AGENT);
    commitAll(castWs, 'the CAST plan and the code-writer agent');
    castEnv = claudeEnvFor(castWs, castServer.url);
    log(`CAST workspace ${castWs.root}`);
  }, 600_000);

  afterAll(async () => {
    await castServer?.close();
    removeUnlessKept(castWs, log);
  });

  test('CAST plan: imported with nx g nx-worktree-ai:plan, run with nx run-many, independent batches overlapping', async () => {
    const gen = runNxSync(castWs, ['g', 'nx-worktree-ai:plan', 'plan.md', '--no-interactive']);
    expectSuccess(gen);
    const said = stripAnsi(gen.output);
    log(`nx g nx-worktree-ai:plan plan.md:\n${said}`);
    expect(said).toContain('subagent_type "code-writer" (3 batch(es)): agent definition .claude/agents/code-writer.md found: claude runs with --agent code-writer');
    expect(said).toContain('subagent_type "test-writer" (1 batch(es)): agent definition .claude/agents/test-writer.md not found');
    // verify_files became the test-writer's verify: a check that its spec file exists and is not empty.
    const testWriter = readWorkspaceFile(castWs, 'libs/auth/ai/session-badge-3-test-writer.ai.md');
    expect(testWriter).toMatch(/verify: \[\s*"?node"?,\s*"?-e"?,/);
    expect(testWriter).toContain('libs/auth/src/session/token.spec.ts');
    for (const b of CAST_PLAN_BATCHES) {
      const text = readWorkspaceFile(castWs, fileOf(b));
      expect({ batch: idOf(b), owns: text.includes(`outputs: [${b.file.slice(SAMPLE_PROJECTS[b.project].root.length + 1)}]`) }).toEqual({ batch: idOf(b), owns: true });
    }
    const auth = JSON.parse(runNxSync(castWs, ['show', 'project', 'auth', '--json']).stdout);
    const tests = auth.targets['ai-generate--session-badge-3-test-writer'];
    expect(JSON.stringify(tests.dependsOn)).toContain('ai-generate--session-badge-1-code-writer-1');
    expect(JSON.stringify(tests.dependsOn)).toContain('ai-generate--session-badge-1-code-writer-2');
    expect(JSON.stringify(tests.inputs)).toContain('{workspaceRoot}/plan.md');
    commitAll(castWs, 'batch files from the CAST plan');

    // The dry run shows the agent definition and the argv with --agent.
    const dry = runNxSync(castWs, ['run', 'auth:ai-generate--session-badge-1-code-writer-1', '--dry-run', '--skip-nx-cache', '--output-style=static'], { env: castEnv });
    expectSuccess(dry);
    expect(stripAnsi(dry.output)).toContain('.claude/agents/code-writer.md found in the workspace: claude runs as agent "code-writer" (--agent code-writer)');
    expect(stripAnsi(dry.output)).toMatch(/argv +\[.*"--agent","code-writer"/);

    const before = castServer.requests.length;
    const res = await runNx(castWs, ['run-many', '-t', 'ai-generate', '--parallel', '4'], { env: castEnv });
    log(`nx run-many -t ai-generate -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s`);
    expectSuccess(res);
    // The test-writer's check ran on its work and passed at the first attempt.
    expect(readResult(castWs, 'auth', 'session-badge-3-test-writer').attempts?.map((a) => a.verify?.exitCode)).toEqual([0]);
    for (const b of CAST_PLAN_BATCHES) {
      expect({ batch: idOf(b), status: readResult(castWs, b.project, b.name).status }).toEqual({ batch: idOf(b), status: 'succeeded' });
      expect({ file: b.file, content: readWorkspaceFile(castWs, b.file) }).toEqual({ file: b.file, content: b.content });
    }

    // The code-writer sessions ran as the agent definition (its tools only); the test-writer, without one, has all tools.
    const initTools = (b: CastPlanBatch) => {
      const transcript = readFileSync(join(artifactsDir(castWs, b.project, b.name), 'transcript.jsonl'), 'utf8').split('\n').filter(Boolean);
      const init = transcript.map((l) => JSON.parse(l) as { type?: string; subtype?: string; tools?: string[] }).find((e) => e.type === 'system' && e.subtype === 'init');
      return init?.tools ?? [];
    };
    for (const b of CAST_PLAN_BATCHES) {
      const tools = initTools(b);
      log(`${idOf(b)} tools: ${tools.join(' ')}`);
      expect({ batch: idOf(b), bash: tools.includes('Bash'), write: tools.includes('Write') }).toEqual({ batch: idOf(b), bash: !b.name.includes('code-writer'), write: true });
    }

    // Session timings on the model server: from a session's first main request to its last reply (sent CAST_DELAY_MS after the request).
    const spans = new Map<string, { start: number; end: number }>();
    for (const r of castServer.requests.slice(before)) {
      if (r.kind !== 'main' || !r.rule) continue;
      const s = spans.get(r.rule);
      const end = r.at + CAST_DELAY_MS;
      spans.set(r.rule, s ? { start: s.start, end: Math.max(s.end, end) } : { start: r.at, end });
    }
    const t0 = Math.min(...[...spans.values()].map((s) => s.start));
    log(`sessions (ms from the first request): ${[...spans].map(([id, s]) => `${id} ${s.start - t0}..${s.end - t0}`).join(', ')}`);
    expect([...spans.keys()].sort()).toEqual(CAST_PLAN_BATCHES.map(idOf).sort());
    const independent = CAST_PLAN_BATCHES.filter((b) => !b.after.length).map(idOf);
    for (const a of independent) {
      for (const c of independent) {
        if (a >= c) continue;
        const overlap = spans.get(a)!.start < spans.get(c)!.end && spans.get(c)!.start < spans.get(a)!.end;
        expect({ a, c, overlap }).toEqual({ a, c, overlap: true });
      }
    }
    for (const b of CAST_PLAN_BATCHES) {
      for (const dep of b.after) expect({ batch: idOf(b), dep, after: spans.get(idOf(b))!.start > spans.get(dep)!.end }).toEqual({ batch: idOf(b), dep, after: true });
    }
  });
});
