import type { AgentResult } from '../agents/types';
import { addAttempt, backoffDelay, emptyTotals, MAX_RETRY_DELAY_MS } from './retry';

describe('backoffDelay: exponential backoff with full jitter', () => {
  it('doubles the ceiling per failed attempt, from the base', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 10_000, top))).toEqual([9_999, 19_999, 39_999, 79_999]);
  });

  it('draws uniformly below the ceiling (full jitter: it can be ~0)', () => {
    expect(backoffDelay(2, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(2, 10_000, () => 0.5)).toBe(10_000);
    expect(backoffDelay(3, 1_000, () => 0.25)).toBe(1_000);
  });

  it('is capped', () => {
    expect(backoffDelay(30, 10_000, () => 0.999999)).toBe(Math.floor(0.999999 * MAX_RETRY_DELAY_MS));
    expect(backoffDelay(3, 10_000, () => 0.5, 15_000)).toBe(7_500);
  });

  it('stays within [0, ceiling) with the real random source', () => {
    for (let i = 0; i < 200; i++) {
      const wait = backoffDelay(2, 1_000);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(2_000);
    }
  });

  it('a zero base means no wait', () => {
    expect(backoffDelay(3, 0)).toBe(0);
  });
});

describe('addAttempt: usage over attempts', () => {
  const result = (extra: Partial<AgentResult>): AgentResult => ({
    isError: false,
    reason: null,
    message: null,
    sessionId: null,
    turns: null,
    tokens: { input: null, output: null, cacheRead: null, cacheWrite: null },
    costUsd: null,
    permissionDenials: [],
    apiErrorStatus: null,
    ...extra,
  });

  it('adds what was reported, keeps null what never was, and keeps the latest session', () => {
    let totals = emptyTotals();
    totals = addAttempt(totals, result({ sessionId: 'a', turns: 1, tokens: { input: 100, output: 5, cacheRead: null, cacheWrite: null }, costUsd: 0.01 }), 1);
    totals = addAttempt(totals, null, 0);
    totals = addAttempt(totals, result({ sessionId: 'b', turns: 3, tokens: { input: 200, output: 50, cacheRead: 10, cacheWrite: null }, costUsd: 0.02, permissionDenials: ['Bash'] }), 3);
    expect(totals).toEqual({ sessionId: 'b', turns: 4, tokens: { input: 300, output: 55, cacheRead: 10, cacheWrite: null }, costUsd: 0.03, permissionDenials: ['Bash'] });
  });

  it('counts turns from the stream when the CLI reports none, never invents cost', () => {
    const totals = addAttempt(emptyTotals(), result({ sessionId: 's' }), 2);
    expect(totals).toMatchObject({ turns: 2, costUsd: null, tokens: { input: null, output: null } });
    expect(addAttempt(emptyTotals(), null, 0).turns).toBeNull();
  });
});
