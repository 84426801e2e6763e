import { formatDuration } from './format';
import type { AgentFailure, AgentOutcome } from './types';

/** Timeout and interruption come first: a killed run's partial result says nothing. */
export function classifyInterrupted(agent: string, outcome: AgentOutcome): AgentFailure | null {
  if (outcome.timedOut) {
    const after = outcome.timeoutMs ? `after ${formatDuration(outcome.timeoutMs)}` : 'at its timeout';
    return { kind: 'timeout', message: `${agent} was killed ${after}: raise \`timeout\` in the batch frontmatter, or make the batch smaller` };
  }
  if (outcome.aborted) return { kind: 'crashed', message: `${agent} was interrupted (the run was cancelled)` };
  return null;
}

export function exitText(outcome: AgentOutcome): string {
  if (outcome.exitCode !== null) return `exited with code ${outcome.exitCode}`;
  return outcome.signal ? `was killed by ${outcome.signal}` : 'ended';
}
