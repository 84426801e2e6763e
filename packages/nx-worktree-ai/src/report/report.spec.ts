import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir, writeFiles } from '@testing/temp';
import { main } from '../bin/nx-worktree-ai';
import type { BatchResult } from '../results/result';
import { collectReport, groupRuns, type ReportRow } from './collect';
import { COLUMNS, rowCells, totalCells } from './format';
import { totals } from './totals';
import { sampleResult } from './__fixtures__/result';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

const result = (project: string, batch: string, startS: number, endS: number, extra: Partial<BatchResult> = {}) => sampleResult(T0, project, batch, startS, endS, extra);

describe('nx-worktree-ai report', () => {
  let root: string;
  const results = [
    result('auth', 'auth-module', 0, 12),
    result('auth', 'auth-tests', 12.5, 20),
    result('api', 'api-routes', 0.2, 9),
    result('@acme/ui', 'theme', 0.1, 5, { status: 'replayed', turns: 0, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } }),
    result('api', 'middleware', 0.3, 8, { status: 'failed', error: 'the agent changed 1 path(s) outside the batch\'s outputs: <x>', costUsd: 0.02 }),
  ];
  beforeAll(() => {
    root = tempDir('nxwa-report-');
    const files: Record<string, string> = { 'nx.json': '{}\n' };
    for (const r of results) {
      const dir = `.nx-worktree-ai/${r.project}/${r.batch}`;
      files[`${dir}/result.json`] = `${JSON.stringify(r, null, 2)}\n`;
      files[`${dir}/prompt.md`] = 'prompt\n';
      if (r.status !== 'replayed') files[`${dir}/transcript.jsonl`] = '{}\n';
      files[`${dir}/changes.patch`] = '';
    }
    files['.nx-worktree-ai/broken/x/result.json'] = '{ nope';
    writeFiles(root, files);
    // result.json files are written when their run finishes (an Nx cache restore writes them later)
    for (const r of results) {
      const t = new Date(r.finishedAt);
      utimesSync(join(root, '.nx-worktree-ai', r.project, r.batch, 'result.json'), t, t);
    }
  });
  afterAll(() => removeDir(root));

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['report', ...args], { cwd: join(root, '.nx-worktree-ai'), out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints one row per batch with what its result.json says, and totals', async () => {
    const { code, out, err } = await run('--no-html');
    expect(code).toBe(0);
    expect(err).toContain('skipped .nx-worktree-ai/broken/x/result.json');
    const lines = out.split('\n');
    // Results without a run id (older plugin versions) form runs by time: one here. Parallelism:
    // 40.9 s of batch time over the 19.5 s during which a batch ran (none between 12 s and 12.5 s).
    expect(lines[0]).toBe('results without a run id (older plugin version), earlier-20261124-100000 · 2026-11-24 10:00:00 UTC · wall 20s · ×2.1 parallel · 5 batch(es)');
    expect(lines[2].split(/\s{2,}/)).toEqual([...COLUMNS]);
    const report = collectReport(root);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0].rows.map((r) => r.id)).toEqual(['auth:auth-module', '@acme/ui:theme', 'api:api-routes', 'api:middleware', 'auth:auth-tests']);
    for (const row of report.runs[0].rows) {
      const line = lines.find((l) => l.startsWith(`${row.id} `))!;
      expect(line.trim().split(/\s{2,}/)).toEqual(rowCells(row));
    }
    expect(lines.find((l) => l.startsWith('auth:auth-module'))!.split(/\s{2,}/)).toEqual([
      'auth:auth-module', 'succeeded', 'no', '12s', '4', '7k', '340', '$0.0712', '2', 'ai/auth/auth-module',
    ]);
    expect(lines.find((l) => l.startsWith('@acme/ui:theme'))!.split(/\s{2,}/).slice(1, 3)).toEqual(['replayed', 'hit (result cache)']);
    // The failed batch's files stayed on its branch: shown in parentheses, not counted.
    expect(lines.find((l) => l.startsWith('api:middleware'))!.split(/\s{2,}/)[8]).toBe('(2)');
    const total = lines.find((l) => l.startsWith('total ('))!.split(/\s{2,}/);
    expect(total).toEqual(['total (5)', '3 ok, 1 replayed, 1 failed', '1 hit', '40.9s', '16', '28k', '1.4k', '$0.2336', '8']);
    expect(lines[lines.length - 1]).toBe('(n) files: changed on the batch branch, not applied');
  });

  it('--json gives the rows and totals', async () => {
    const { out } = await run('--json');
    const data = JSON.parse(out);
    expect(data.runs).toHaveLength(1);
    expect(data.runs[0].rows).toHaveLength(5);
    expect(data.runs[0].totals).toMatchObject({ batches: 5, succeeded: 3, replayed: 1, failed: 1, costUsd: 0.2336, filesChanged: 8 });
  });

  it('writes a self-contained report.html: a bar per batch, links to the artifacts, no remote resource', async () => {
    const { out } = await run();
    expect(out).toContain('report: report.html');
    const html = readFileSync(join(root, '.nx-worktree-ai/report.html'), 'utf8');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(5);
    expect(html).toContain('<a href="auth/auth-module/prompt.md">prompt</a> · <a href="auth/auth-module/transcript.jsonl">transcript</a> · <a href="auth/auth-module/changes.patch">patch</a>');
    expect(html).toContain('href="%40acme/ui/theme/prompt.md"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;x&gt;'); // the error text, escaped
    expect(html).toContain("default-src 'none'");
  });

  it('shows an empty result as failed or allowed, and counts empty and interrupted results apart', () => {
    const row = (r: BatchResult): ReportRow => ({ id: `${r.project}:${r.batch}`, result: r, status: r.status, cache: 'none', from: null, applied: r.status === 'succeeded', dir: `${r.project}/${r.batch}`, artifacts: [], start: null, end: null });
    const rows = [
      row(result('auth', 'ok', 0, 1)),
      row(result('auth', 'idle', 0, 1, { status: 'empty', filesChanged: [], error: 'the agent changed no file (status "empty"); see ...' })),
      row(result('auth', 'lint', 0, 1, { status: 'empty', filesChanged: [] })),
      row(result('auth', 'stopped', 0, 1, { status: 'interrupted', error: 'interrupted by SIGINT while the agent ran: ...' })),
    ];
    expect(rows.map((r) => rowCells(r)[1])).toEqual(['succeeded', 'empty (failed)', 'empty (allowed)', 'interrupted']);
    expect(totals(rows)).toMatchObject({ succeeded: 1, failed: 0, empty: 2, interrupted: 1 });
    expect(totalCells(totals(rows))[1]).toBe('1 ok, 2 empty, 1 interrupted');
  });

  it('groups results without a run log into runs by time', async () => {
    const rows = collectReport(root).runs[0].rows;
    const late = { ...rows[0], id: 'late:x', start: T0 + 3_600_000, end: T0 + 3_601_000 };
    const runs = groupRuns([...rows, late]);
    expect(runs.map((r) => r.length)).toEqual([1, 5]);
  });

  it('with no results says what to run; unknown options are refused', async () => {
    const empty = tempDir('nxwa-report-empty-');
    try {
      const out: string[] = [];
      expect(await main(['report', '--root', empty], { cwd: empty, out: (t) => out.push(t), err: () => undefined })).toBe(0);
      expect(out.join('\n')).toContain('run `nx run-many -t ai-generate` first');
      const err: string[] = [];
      expect(await main(['report', '--nope'], { cwd: empty, out: () => undefined, err: (t) => err.push(t) })).toBe(2);
      expect(err.join('\n')).toContain('unknown option --nope');
      expect(await main(['frobnicate'], { cwd: empty, out: () => undefined, err: () => undefined })).toBe(2);
    } finally {
      removeDir(empty);
    }
  });
});
