import type { AgentOutcome, AgentResult, AgentRunRequest } from '../types';

/** A batch's run request with nothing set, `extra` over it. */
export function runRequest(extra: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    prompt: '- write src/auth/login.ts\nThen stop.',
    promptFile: '/tmp/wt.prompt.md',
    cwd: '/tmp/wt',
    model: null,
    maxTurns: null,
    maxBudgetUsd: null,
    command: null,
    extraArgs: [],
    options: {},
    resumeSessionId: null,
    ...extra,
  };
}

/** How a run ended: its exit code and parsed result, not killed, `extra` over it. */
export function outcomeOf(result: AgentResult | null, exitCode: number | null, extra: Partial<AgentOutcome> = {}): AgentOutcome {
  return { exitCode, signal: null, timedOut: false, result, stderrTail: '', ...extra };
}

/** An agent's result with nothing reported, `extra` over it. */
export function agentResult(extra: Partial<AgentResult> = {}): AgentResult {
  return {
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
  };
}
