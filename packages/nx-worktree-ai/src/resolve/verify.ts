import { parseDuration } from '../batch/duration';
import type { AgentName, BatchSpec } from '../batch/spec';

export const DEFAULT_VERIFY_TIMEOUT_MS = 10 * 60_000;
/** Attempts when the batch has a verify command and sets none: the first run and two fixes. */
export const DEFAULT_VERIFY_ATTEMPTS = 3;

/** The check a batch's work must pass before it is integrated. */
export interface VerifySettings {
  /** argv with `{projectRoot}` substituted; run without a shell in the worktree root. */
  argv: string[];
  timeoutMs: number;
  /** Agent runs in all (the first one included). */
  attempts: number;
}

/** The batch's `verify`, `verifyTimeout` and `attempts`, or null when it has no verify command. */
export function resolveVerify(spec: BatchSpec): VerifySettings | null {
  const fm = spec.frontmatter;
  if (!fm.verify) return null;
  return {
    argv: fm.verify.map((arg) => arg.split('{projectRoot}').join(spec.projectRoot)),
    timeoutMs: parseDuration(fm.verifyTimeout ?? DEFAULT_VERIFY_TIMEOUT_MS),
    attempts: fm.attempts ?? DEFAULT_VERIFY_ATTEMPTS,
  };
}

/**
 * The agent of each sample of the batch (one entry per sample): `samplesAgents` in turn, else the
 * batch's agent. `samples` defaults to the length of `samplesAgents`, else 1.
 */
export function resolveSamples(spec: BatchSpec, agent: AgentName): AgentName[] {
  const { samples, samplesAgents } = spec.frontmatter;
  const count = samples ?? samplesAgents?.length ?? 1;
  return Array.from({ length: count }, (_, i) => samplesAgents?.[i % samplesAgents.length] ?? agent);
}
