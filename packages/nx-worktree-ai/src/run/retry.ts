import type { AgentResult, TokenUsage } from '../agents/types';

/** The longest wait between two attempts, whatever retryDelay and the attempt number say. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

/**
 * Exponential backoff with full jitter: before attempt n+1 (n >= 1 failed attempts), wait a
 * uniformly random time in [0, min(cap, base * 2^(n-1))). Full jitter spreads the batches that
 * hit the same rate limit at once, so they do not all come back together.
 */
export function backoffDelay(failedAttempts: number, baseMs: number, random: () => number = Math.random, capMs = MAX_RETRY_DELAY_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * ceiling);
}

/** Usage summed over attempts: what was reported is added up, what never was stays null. */
export interface AttemptTotals {
  sessionId: string | null;
  turns: number | null;
  tokens: TokenUsage;
  costUsd: number | null;
  /** Tool calls the agent was refused in the latest attempt (whose work is the one collected). */
  permissionDenials: string[];
}

export function emptyTotals(): AttemptTotals {
  return { sessionId: null, turns: null, tokens: { input: null, output: null, cacheRead: null, cacheWrite: null }, costUsd: null, permissionDenials: [] };
}

/** The tokens a session used since it reported `before`, for CLIs that report a session's total (codex). */
export function tokensSince(before: TokenUsage, now: TokenUsage): TokenUsage {
  const since = (a: number | null, b: number | null) => (b === null ? null : Math.max(0, b - (a ?? 0)));
  return { input: since(before.input, now.input), output: since(before.output, now.output), cacheRead: since(before.cacheRead, now.cacheRead), cacheWrite: since(before.cacheWrite, now.cacheWrite) };
}

function add(sum: number | null, value: number | null): number | null {
  return value === null ? sum : (sum ?? 0) + value;
}

/**
 * Adds one attempt. `countedTurns` (model rounds seen in the stream) stands in for the turn count
 * of CLIs that report none; the session is the latest attempt's.
 */
export function addAttempt(totals: AttemptTotals, result: AgentResult | null, countedTurns: number): AttemptTotals {
  const turns = result?.turns ?? (countedTurns > 0 || result !== null ? countedTurns : null);
  return {
    sessionId: result?.sessionId ?? totals.sessionId,
    turns: add(totals.turns, turns),
    tokens: {
      input: add(totals.tokens.input, result?.tokens.input ?? null),
      output: add(totals.tokens.output, result?.tokens.output ?? null),
      cacheRead: add(totals.tokens.cacheRead, result?.tokens.cacheRead ?? null),
      cacheWrite: add(totals.tokens.cacheWrite, result?.tokens.cacheWrite ?? null),
    },
    costUsd: add(totals.costUsd, result?.costUsd ?? null),
    permissionDenials: result?.permissionDenials ?? [],
  };
}
