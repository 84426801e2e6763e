import type { AttemptRecord, BatchResult } from '../results/result';
import { proofNote } from './proof';

const attempt = (exitCode: number): AttemptRecord => ({ verify: { exitCode, durationMs: 10, outputTail: '' }, sessionId: 's', turns: 1, tokens: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.01 });
const label = (extra: Partial<BatchResult>) => `${extra.status ?? 'succeeded'}${proofNote({ status: 'succeeded', ...extra })}`;

describe('report: attempts and samples per batch', () => {
  it('shows how many agent runs the check took and which sample was applied', () => {
    expect(label({})).toBe('succeeded');
    expect(label({ attempts: [attempt(1), attempt(0)] })).toBe('succeeded · 2 attempts');
    expect(label({ status: 'failed', error: 'verify ... still failed', attempts: [attempt(1), attempt(1), attempt(1)] })).toBe('failed · 3 attempts');
    const samples: BatchResult['samples'] = [
      { k: 1, agent: 'claude', status: 'failed', attempts: [attempt(1)], branch: 'ai/a/b--sample-1', error: 'verify failed' },
      { k: 2, agent: 'codex', status: 'succeeded', attempts: [attempt(0)], branch: 'ai/a/b', error: null },
    ];
    expect(label({ attempts: [attempt(0)], samples })).toBe('succeeded · sample 2 of 2 (codex) · 1 attempt');
    expect(label({ status: 'failed', error: 'none passed', attempts: [attempt(1)], samples: samples.map((s) => ({ ...s, status: 'failed' as const })) })).toBe('failed · 2 samples');
  });
});
