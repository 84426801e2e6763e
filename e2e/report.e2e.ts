/**
 * The report as a record of runs, end to end: a hand-built Nx workspace with the packed tarball,
 * the real claude CLI against the scripted model server, Nx's output piped (no terminal, as in CI).
 *
 *   nx run-many -t ai-generate | cat    run 1: each batch's start and end line shows while it runs
 *   the same command again               run 2: every batch restored from Nx's cache
 *   nx-worktree-ai report                the latest run is run 2: its wall time, every row replayed
 *   a batch file deleted                 the batch is gone from the report
 *   report.html in headless Chromium     the same page
 *
 * The tests share one workspace and run in order. Keep it: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../testing/browser';
import { batchId, SAMPLE_PROJECTS, scriptRules, SIX_BATCHES } from '../testing/fixtures/six-batches';
import { runNxPiped, type PipedNxResult } from '../testing/piped-nx';
import { startAnthropicServer, type AnthropicServer } from '../testing/scripted-model/anthropic';
import { createWorkspace, nxEnv, readResult, stripAnsi, type Workspace } from '../testing/workspace';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';

jest.setTimeout(10 * 60_000);

/** Three independent batches: they run side by side. */
const BATCHES = SIX_BATCHES.filter((b) => !(b.frontmatter.dependsOn as string[] | undefined)?.length).slice(0, 3);
const COMMAND = ['run-many', '-t', 'ai-generate', '--parallel', '3'];

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;
let run1: PipedNxResult;
let run2: PipedNxResult;

function log(message: string): void {
  process.stdout.write(`[e2e report] ${message}\n`);
}

function expectSuccess(res: PipedNxResult): void {
  if (res.code !== 0) throw new Error(`exit ${res.code}:\n${stripAnsi(res.output)}`);
}

interface JsonRun {
  id: string;
  wallMs: number;
  parallelism: number;
  rows: Array<{ id: string; status: string; cache: string; from: string | null }>;
}

function report(...args: string[]): { out: string; runs: JsonRun[] } {
  const bin = join(ws.root, 'node_modules', '.bin', 'nx-worktree-ai');
  const res = spawnSync(bin, ['report', ...args], { cwd: ws.root, env: nxEnv(ws), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`nx-worktree-ai report ${args.join(' ')}: exit ${res.status}\n${res.stdout}\n${res.stderr}`);
  return { out: res.stdout, runs: args.includes('--json') ? (JSON.parse(res.stdout).runs as JsonRun[]) : [] };
}

beforeAll(async () => {
  server = await startAnthropicServer({ rules: scriptRules(BATCHES), delayMs: 600 });
  ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: BATCHES, prefix: 'nxwa-e2e-report-', log });
  claudeEnv = claudeEnvFor(ws, server.url);
  log(`workspace ${ws.root}; batches ${BATCHES.map(batchId).join(', ')}`);
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('the report as a record of runs', () => {
  test("in a non-TTY run-many each batch's start and end line shows while the batch runs", async () => {
    run1 = await runNxPiped(ws, COMMAND, claudeEnv);
    log(`run 1: exit ${run1.code} in ${run1.durationMs} ms\n${run1.output}`);
    expectSuccess(run1);
    const summary = run1.lines.find((l) => /Successfully ran target ai-generate/.test(stripAnsi(l.text)));
    expect(summary).toBeDefined();
    for (const b of BATCHES) {
      const id = batchId(b);
      const start = run1.lines.find((l) => stripAnsi(l.text).startsWith(`[${id}] started · claude`));
      const end = run1.lines.find((l) => stripAnsi(l.text).startsWith(`[${id}] succeeded · `));
      expect({ id, start: !!start, end: !!end }).toEqual({ id, start: true, end: true });
      // Live: the start line arrived while the agent was still working, well before Nx's summary.
      const result = readResult(ws, b.project, b.name);
      expect({ id, startedBeforeTheBatchEnded: start!.at < Date.parse(result.finishedAt!) }).toEqual({ id, startedBeforeTheBatchEnded: true });
      expect(end!.at).toBeLessThanOrEqual(summary!.at);
    }
    // Nx itself withheld the batches' output (it shows it only for failures): the lines came from the plugin.
    expect(stripAnsi(run1.output)).toMatch(/Output of \d+ successful tasks? (was|were) not shown/);
  });

  test('run 1: every result carries the run id of the command, and the report shows that run', () => {
    const ids = new Set(BATCHES.map((b) => (readResult(ws, b.project, b.name) as unknown as { runId: string }).runId));
    expect(ids.size).toBe(1);
    const [runId] = [...ids];
    expect(runId).toMatch(/^\d{8}-\d{6}-\d+$/);
    const [latest] = report('--json', '--no-html').runs;
    expect(latest.id).toBe(runId);
    expect(latest.rows.map((r) => [r.id, r.status, r.cache]).sort()).toEqual(BATCHES.map((b) => [batchId(b), 'succeeded', 'none']).sort());
    // The command's wall time: from the nx process's start to its last batch, within what this test measured.
    expect(latest.wallMs).toBeLessThanOrEqual(run1.durationMs);
    expect(latest.wallMs).toBeGreaterThan(run1.durationMs - 5000);
    expect(latest.parallelism).toBeGreaterThan(1.5);
  });

  test('run 2, a full replay: the latest run has its wall time, every row replayed, parallelism >= 1', async () => {
    const requests = server.requests.length;
    run2 = await runNxPiped(ws, COMMAND, claudeEnv);
    log(`run 2: exit ${run2.code} in ${run2.durationMs} ms`);
    expectSuccess(run2);
    expect(server.requests.length).toBe(requests);
    expect(stripAnsi(run2.output)).toContain(`Nx read the output from the cache instead of running the command for ${BATCHES.length} out of`);

    const runs = report('--json', '--no-html', '--all').runs;
    expect(runs).toHaveLength(2);
    const [latest, first] = runs;
    expect(latest.id).not.toBe(first.id);
    expect(latest.wallMs).toBeLessThanOrEqual(run2.durationMs);
    expect(latest.wallMs).toBeGreaterThan(run2.durationMs - 5000);
    expect(latest.wallMs).toBeLessThan(first.wallMs);
    expect(latest.parallelism).toBeGreaterThanOrEqual(1);
    expect(latest.rows.map((r) => [r.id, r.status, r.cache, r.from]).sort()).toEqual(BATCHES.map((b) => [batchId(b), 'replayed', 'nx-cache', first.id]).sort());

    const table = report('--no-html').out;
    for (const b of BATCHES) {
      const cells = table.split('\n').find((l) => l.startsWith(`${batchId(b)} `))!.trim().split(/\s{2,}/);
      expect(cells.slice(0, 3)).toEqual([batchId(b), 'replayed', `hit (nx cache, run ${first.id})`]);
    }
  });

  test('after a batch file is deleted, the batch is gone from the report; the page in Chromium shows the same run', async () => {
    const gone = BATCHES[0];
    rmSync(join(ws.root, SAMPLE_PROJECTS[gone.project].root, 'ai', `${gone.name}.ai.md`));
    const [latest] = report('--json', '--no-html').runs;
    expect(latest.rows.map((r) => r.id).sort()).toEqual(BATCHES.slice(1).map(batchId).sort());
    expect(report('--no-html', '--all').out).not.toContain(batchId(gone));

    report();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const url = `file://${join(ws.root, '.nx-worktree-ai', 'report.html')}`;
      await page.goto(url);
      expect(requests).toEqual([url]);
      const section = await page.$eval('section.run', (e) => ({ run: e.getAttribute('data-run'), wall: Number(e.getAttribute('data-wall-ms')), parallelism: Number(e.getAttribute('data-parallelism')) }));
      expect(section).toEqual({ run: latest.id, wall: latest.wallMs, parallelism: latest.parallelism });
      expect(section.parallelism).toBeGreaterThanOrEqual(1);
      const rows = await page.$$eval('table.batches tbody tr[data-batch]', (els) => els.map((e) => [e.getAttribute('data-batch'), e.getAttribute('data-status'), e.textContent!.includes('hit (nx cache')]));
      expect(rows.sort()).toEqual(BATCHES.slice(1).map((b) => [batchId(b), 'replayed', true]).sort());
      const bars = await page.$$eval('svg.chart rect.bar', (els) => els.map((e) => ({ id: e.getAttribute('data-batch'), width: e.getBoundingClientRect().width })));
      expect(bars.map((b) => b.id).sort()).toEqual(BATCHES.slice(1).map(batchId).sort());
      for (const b of bars) expect(b.width).toBeGreaterThanOrEqual(3);
      const wallCard = await page.$$eval('.card', (els) => els.map((e) => e.textContent ?? '').find((t) => t.startsWith('Wall time')));
      expect(wallCard).toContain('from the nx command');
      expect(readFileSync(join(ws.root, '.nx-worktree-ai', 'report.html'), 'utf8')).not.toContain(batchId(gone));
    } finally {
      await browser.close();
    }
  });
});
