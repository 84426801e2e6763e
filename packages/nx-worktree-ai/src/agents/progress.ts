import { formatCount, formatDuration, formatUsd, oneLine } from './format';
import type { AgentEvent, AgentFailure, AgentResult } from './types';

const MESSAGE_MAX = 120;
const FAILURE_MAX = 100;

/**
 * Formats one run's events as short human lines, the same for every adapter:
 *   [auth:login] start · claude-opus-5-5 · session eec12db7
 *   [auth:login] › I will write the file.
 *   [auth:login] turn 1 · Write src/auth/login.ts
 *   [auth:login] turn 2 · Bash failed: Permission to use Bash with command git push has been denied.
 *   [auth:login] retry 1 (HTTP 429)
 *   [auth:login] done · 2 turns · 1,234 tokens (+5,000 cached) · $0.0123
 * A turn is one model round: it starts with the first assistant event after a tool result (or the
 * first one at all), which is how Claude counts num_turns. Returns null for events not worth a line.
 * `label` is "project:batch". Stateful: one formatter per run.
 */
export type Progress = ((event: AgentEvent) => string | null) & {
  /** Model rounds seen so far: the turn count of CLIs that report none (cursor). */
  turns(): number;
};

export function createProgress(label: string): Progress {
  const prefix = `[${label}]`;
  let turn = 0;
  let inTurn = false;
  const toolNames = new Map<string, string>();

  function startTurnIfNeeded(): void {
    if (inTurn) return;
    turn += 1;
    inTurn = true;
  }

  const format = (event: AgentEvent): string | null => {
    switch (event.kind) {
      case 'init':
        return [`${prefix} start`, event.model, event.sessionId ? `session ${event.sessionId.slice(0, 8)}` : null].filter(Boolean).join(' · ');
      case 'message':
        startTurnIfNeeded();
        return `${prefix} › ${oneLine(event.text, MESSAGE_MAX)}`;
      case 'tool-use':
        startTurnIfNeeded();
        if (event.id) toolNames.set(event.id, event.tool);
        return `${prefix} turn ${turn} · ${event.tool}${event.detail ? ` ${event.detail}` : ''}`;
      case 'tool-result': {
        inTurn = false;
        if (event.ok) return null;
        const tool = (event.id && toolNames.get(event.id)) || 'tool';
        return `${prefix} turn ${turn} · ${tool} failed${event.text ? `: ${oneLine(event.text, FAILURE_MAX)}` : ''}`;
      }
      case 'retry':
        return `${prefix} retry${event.attempt !== null ? ` ${event.attempt}` : ''} (${retryCause(event.status, event.message)})`;
      case 'result':
        return `${prefix} ${resultSummary(event.result, turn)}`;
      case 'unknown':
        return null;
    }
  };
  return Object.assign(format, { turns: () => turn });
}

/**
 * The executor's own retry of a rate-limited or overloaded run, in the same family:
 *   [auth:login] retry 2/3 in 4.1s (rate limited)
 * `attempt` is the attempt about to start, `attempts` the most there will be.
 */
export function retryLine(label: string, attempt: number, attempts: number, delayMs: number, failure: AgentFailure): string {
  const cause = failure.kind === 'rate-limited' ? 'rate limited' : failure.kind === 'overloaded' ? 'overloaded' : failure.kind;
  return `[${label}] retry ${attempt}/${attempts} in ${formatDuration(delayMs)} (${cause})`;
}

function retryCause(status: number | null, message: string | null): string {
  if (status !== null) return `HTTP ${status}`;
  return message ? oneLine(message, FAILURE_MAX) : 'no response';
}

/** "done · 4 turns · 1,234 tokens · $0.0123", or "failed (max_turns) · ..." */
export function resultSummary(result: AgentResult, countedTurns: number): string {
  const turns = result.turns ?? countedTurns;
  const parts = [result.isError ? `failed (${result.reason ?? 'error'})` : 'done', `${turns} turn${turns === 1 ? '' : 's'}`];
  const tokens = tokenSummary(result);
  if (tokens) parts.push(tokens);
  if (result.costUsd !== null) parts.push(formatUsd(result.costUsd));
  if (result.permissionDenials.length > 0) parts.push(`refused ${[...new Set(result.permissionDenials)].join(', ')}`);
  return parts.join(' · ');
}

/** Fresh tokens (input, output, cache writes) and, apart, cache reads: they are billed very differently. */
function tokenSummary(result: AgentResult): string | null {
  const { input, output, cacheRead, cacheWrite } = result.tokens;
  if (input === null && output === null && cacheWrite === null && cacheRead === null) return null;
  const fresh = (input ?? 0) + (output ?? 0) + (cacheWrite ?? 0);
  return `${formatCount(fresh)} tokens${cacheRead ? ` (+${formatCount(cacheRead)} cached)` : ''}`;
}
