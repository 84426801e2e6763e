import type { BatchResult } from '../results/result';
import type { ReportRow } from './collect';
import { timeline } from './timeline';

const T0 = Date.parse('2026-12-04T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function row(samples: BatchResult['samples'], cache: ReportRow['cache'] = 'none'): ReportRow {
  const result = { project: 'calc', batch: 'sum', status: 'succeeded', samples } as BatchResult;
  return { id: 'calc:sum', result, status: 'succeeded', cache, from: null, applied: true, dir: 'calc/sum', artifacts: [], start: T0, end: T0 + 20_000 };
}

/** The bars of the SVG: which batch, which sample (or none), and where they start on the axis. */
function bars(html: string): Array<{ sample: string | null; status: string; x: number }> {
  return [...html.matchAll(/<rect class="bar" data-batch="[^"]*"(?: data-sample="(\d+)")? data-status="([^"]*)"[^>]* x="([\d.]+)"/g)].map((m) => ({ sample: m[1] ?? null, status: m[2], x: Number(m[3]) }));
}

describe('report timeline: samples', () => {
  const samples: BatchResult['samples'] = [
    { k: 1, agent: 'claude', status: 'stopped', attempts: [], branch: 'ai/calc/sum--sample-1', error: 'stopped', startedAt: at(1), finishedAt: at(12) },
    { k: 2, agent: 'codex', status: 'succeeded', attempts: [], branch: 'ai/calc/sum', error: null, startedAt: at(2), finishedAt: at(11) },
  ];

  it('draws each sample as a bar of its own under its batch, from its start to its end', () => {
    const drawn = bars(timeline([row(samples)], 'run', T0));
    expect(drawn.map((b) => [b.sample, b.status])).toEqual([
      [null, 'succeeded'],
      ['1', 'stopped'],
      ['2', 'succeeded'],
    ]);
    // Sample 1 started a second before sample 2, the batch at the axis's start.
    expect(drawn[0].x).toBeLessThan(drawn[1].x);
    expect(drawn[1].x).toBeLessThan(drawn[2].x);
  });

  it('draws no sample bars for a replay, nor for results written before samples had times', () => {
    expect(bars(timeline([row(samples, 'result-cache')], 'run', T0)).map((b) => b.sample)).toEqual([null]);
    const untimed = samples.map(({ startedAt, finishedAt, ...rest }) => rest);
    expect(bars(timeline([row(untimed)], 'run', T0)).map((b) => b.sample)).toEqual([null]);
  });
});
