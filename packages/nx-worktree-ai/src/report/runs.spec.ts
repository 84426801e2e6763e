import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir, writeFiles } from '@testing/temp';
import { main } from '../bin/nx-worktree-ai';
import type { BatchResult } from '../results/result';
import { batchEntry, recordEntry, recordReplay, recordRun } from '../results/run-log';
import { collectReport } from './collect';
import { parallelism } from './runs';
import { sampleResult } from './__fixtures__/result';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const R1 = '20261201-090000-4242';
const R2 = '20261201-091000-4343';
const at = (s: number) => new Date(T0 + s * 1000);
const FILES = { a: 'libs/auth/ai/a.ai.md', b: 'libs/auth/ai/b.ai.md', c: 'libs/api/ai/c.ai.md' };

/** run 1's and run 2's results: 5 turns, 1.2k tokens, $0.05, two files each unless said otherwise. */
function result(project: string, batch: string, runId: string, startS: number, endS: number, extra: Partial<BatchResult> = {}): BatchResult {
  const spend = { turns: 5, tokens: { input: 1000, output: 200, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.05, filesChanged: ['x.ts', 'y.ts'], insertions: 4, deletions: 1 };
  return sampleResult(T0, project, batch, startS, endS, { ...spend, runId, ...extra });
}

/**
 * Two nx commands, written by the plugin's own run log writers: run 1 ran a, b (failed) and c;
 * run 2 replayed a from Nx's cache (the aggregate applied it), c from the result cache, and ran b.
 */
function twoRuns(root: string): void {
  writeFiles(root, { 'nx.json': '{}\n', [FILES.a]: 'a\n', [FILES.b]: 'b\n', [FILES.c]: 'c\n' });
  const a1 = result('auth', 'a', R1, 2, 10);
  recordRun(root, { id: R1, startedAt: at(0).toISOString() });
  recordEntry(root, R1, batchEntry(a1, FILES.a, 'working-tree'));
  recordEntry(root, R1, batchEntry(result('auth', 'b', R1, 2, 8, { status: 'failed', error: 'outside outputs', filesChanged: ['z.ts'] }), FILES.b, 'working-tree'));
  recordEntry(root, R1, batchEntry(result('api', 'c', R1, 2.5, 9), FILES.c, 'working-tree'));

  recordRun(root, { id: R2, startedAt: at(600).toISOString() });
  recordReplay(root, R2, { batchFile: FILES.a, result: a1, applied: true, startedAt: at(602), finishedAt: at(602.2) });
  const c2 = result('api', 'c', R2, 601.5, 602, { status: 'replayed', turns: 0, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } });
  recordEntry(root, R2, batchEntry(c2, FILES.c, 'working-tree'));
  const b2 = result('auth', 'b', R2, 601.5, 605, { filesChanged: ['z.ts'] });
  recordEntry(root, R2, batchEntry(b2, FILES.b, 'working-tree'));
  // The artifact folders hold the latest result of each batch (a's restored by Nx: run 1's).
  for (const r of [a1, b2, c2]) writeFiles(root, { [`.nx-worktree-ai/${r.project}/${r.batch}/result.json`]: JSON.stringify(r), [`.nx-worktree-ai/${r.project}/${r.batch}/prompt.md`]: 'p\n' });
}

describe('the report by run', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('nxwa-report-runs-');
    twoRuns(root);
  });
  afterEach(() => removeDir(root));

  const report = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['report', '--root', root, ...args], { cwd: root, out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const cells = (out: string, id: string) => out.split('\n').find((l) => l.startsWith(`${id} `))!.trim().split(/\s{2,}/);

  it('shows the last run by default: its wall time from the command start, replays from either cache, only what it spent', async () => {
    const { code, out } = await report('--no-html');
    expect(code).toBe(0);
    // Wall: from run 2's start (600 s) to its last batch's end (605 s). Batch time 0.2 + 0.5 + 3.5 s
    // over the 3.5 s during which one ran.
    expect(out.split('\n')[0]).toBe(`run ${R2} · 2026-12-01 09:10:00 UTC · wall 5s · ×1.2 parallel · 3 batch(es)`);
    expect(cells(out, 'auth:a')).toEqual(['auth:a', 'replayed', `hit (nx cache, run ${R1})`, '200ms', '-', '-', '-', '-', '2', 'ai/auth/a']);
    expect(cells(out, 'api:c').slice(1, 3)).toEqual(['replayed', 'hit (result cache)']);
    expect(cells(out, 'auth:b').slice(1, 3)).toEqual(['succeeded', 'no']);
    expect(cells(out, 'total (3)')).toEqual(['total (3)', '1 ok, 2 replayed', '2 hit', '4.2s', '5', '1k', '200', '$0.0500', '5']);
    expect(out).not.toContain(R1 + ' ·');
  });

  it('--run shows an earlier run, --all every run latest first; files count only where the change was applied', async () => {
    const one = await report('--no-html', '--run', R1);
    // 8 + 6 + 6.5 s of batch time over the 8 s (2 s to 10 s) during which a batch ran.
    expect(one.out.split('\n')[0]).toBe(`run ${R1} · 2026-12-01 09:00:00 UTC · wall 10s · ×2.6 parallel · 3 batch(es)`);
    expect(cells(one.out, 'auth:b')[8]).toBe('(1)');
    expect(cells(one.out, 'total (3)').slice(1, 3)).toEqual(['2 ok, 1 failed', '0 hit']);
    expect(cells(one.out, 'total (3)')[8]).toBe('4');
    const all = await report('--no-html', '--all');
    expect(all.out.split('\n').filter((l) => l.startsWith('run '))).toEqual([expect.stringContaining(R2), expect.stringContaining(R1)]);
    const none = await report('--run', 'nope');
    expect(none.code).toBe(1);
    expect(none.err).toContain(`no run nope under ${join(root, '.nx-worktree-ai')}. Runs kept: ${R2}, ${R1}.`);
    expect((await report('--run', R1, '--all')).code).toBe(2);
  });

  it('a batch whose file is gone drops out of every run', async () => {
    rmSync(join(root, FILES.c));
    const { runs } = collectReport(root);
    expect(runs.map((r) => r.rows.map((row) => row.id).sort())).toEqual([['auth:a', 'auth:b'], ['auth:a', 'auth:b']]);
    const { out } = await report('--no-html', '--all');
    expect(out).not.toContain('api:c');
  });

  it('the page shows the chosen run: wall time, parallelism, every row marked, links to the artifacts of that very result', async () => {
    await report();
    const html = readFileSync(join(root, '.nx-worktree-ai/report.html'), 'utf8');
    expect(html).toContain(`<section class="run" data-run="${R2}" data-wall-ms="5000" data-parallelism="1.2`);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(3);
    expect(html).toContain('<tr data-batch="auth:a" data-status="replayed" data-cache="nx-cache"');
    expect(html).toContain('href="auth/a/prompt.md"');
    // run 1's b was replaced by run 2's: no link from run 1's row to run 2's artifacts
    await report('--run', R1);
    const earlier = readFileSync(join(root, '.nx-worktree-ai/report.html'), 'utf8');
    expect(earlier).not.toContain('href="auth/b/');
    expect(earlier).toContain('href="auth/a/prompt.md"');
  });

  it('--scripted-model labels the costs as computed for a scripted model, in the table and on the page', async () => {
    const { out } = await report('--scripted-model');
    expect(out).toContain("cost: what the agent CLI computed for a scripted model's replies; no money was spent");
    const html = readFileSync(join(root, '.nx-worktree-ai/report.html'), 'utf8');
    expect(html).toContain('<div class="label">Cost (scripted)</div>');
    expect(html).toContain('No money was spent.');
  });
});

describe('parallelism', () => {
  it('is batch time over the time during which at least one batch ran: 1 for one batch, never below', () => {
    expect(parallelism([])).toBeNull();
    expect(parallelism([{ start: 0, end: 5000 }])).toBe(1);
    expect(parallelism([{ start: 0, end: 0 }])).toBe(1);
    expect(parallelism([{ start: 0, end: 4 }, { start: 0, end: 4 }, { start: 10, end: 14 }])).toBe(1.5);
    expect(parallelism([{ start: 0, end: 10 }, { start: 2, end: 4 }])).toBe(1.2);
  });
});
