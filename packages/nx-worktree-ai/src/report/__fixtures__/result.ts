import type { BatchResult } from '../../results/result';

/** A result.json of a batch that ran from `startS` to `endS` seconds after `t0` (ms). */
export function sampleResult(t0: number, project: string, batch: string, startS: number, endS: number, extra: Partial<BatchResult> = {}): BatchResult {
  return {
    project,
    batch,
    status: 'succeeded',
    agent: 'claude',
    agentVersion: '2.1.330',
    model: null,
    sessionId: `s-${batch}`,
    turns: 4,
    tokens: { input: 1200, output: 340, cacheRead: 5000, cacheWrite: 800 },
    costUsd: 0.0712,
    durationMs: (endS - startS) * 1000,
    startedAt: new Date(t0 + startS * 1000).toISOString(),
    finishedAt: new Date(t0 + endS * 1000).toISOString(),
    cacheKey: 'k',
    branch: `ai/${project}/${batch}`,
    commit: 'c0ffee',
    filesChanged: ['a.ts', 'b.ts'],
    insertions: 10,
    deletions: 2,
    error: null,
    runId: null,
    ...extra,
  };
}
