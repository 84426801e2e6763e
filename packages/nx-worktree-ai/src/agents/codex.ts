import { defineAdapter } from './adapter';
import { unsupportedLimits } from './argv';
import { CODEX_SANDBOX_DENIAL, createCodexParser, MISSING_ENV, SERVER_ERROR } from './codex-parser';
import { classifyOutcome, type AgentFacts } from './failures';
import { oneLine } from './format';
import type { CodexOptions } from './options';
import { tomlValue } from './toml-value';
import type { AgentFailure, AgentInvocation, AgentOutcome, AgentRunRequest } from './types';

export const CODEX_FACTS: AgentFacts = {
  agent: 'codex',
  credential: 'CODEX_API_KEY (or run `codex login`; a custom model provider reads the variable its env_key names)',
  writeTools: new Set([CODEX_SANDBOX_DENIAL]),
  permissionAdvice: 'codex ran in a read-only sandbox: leave `codex: { sandbox }` unset (workspace-write, the default) or set it to workspace-write',
  hangHint: 'codex retries forever without network and may wait for a login: check CODEX_API_KEY, the model provider and the network',
};

/**
 * `codex exec --json -s workspace-write [-m MODEL] [--profile P] [-c key=value ...] <agentArgs> [resume ID] -`,
 * the prompt on stdin (`-`: no argv size limit, and a prompt starting with "-" stays a prompt).
 * codex exec defaults to a read-only sandbox in which writes fail while it still exits 0, hence
 * workspace-write. It has no turn or budget limit (the executor's timeout still applies). A resume
 * continues the thread (`exec resume <thread id>`); the options before `resume` hold for it too.
 */
export function buildCodexInvocation(request: AgentRunRequest): AgentInvocation {
  const options = request.options as CodexOptions;
  const sandbox = options.sandbox ?? 'workspace-write';
  const args = ['exec', '--json', '-s', sandbox];
  if (request.model) args.push('-m', request.model);
  if (options.profile) args.push('--profile', options.profile);
  for (const [key, value] of Object.entries(options.config ?? {})) args.push('-c', `${key}=${tomlValue(value)}`);
  args.push(...request.extraArgs);
  if (request.resumeSessionId) args.push('resume', request.resumeSessionId);
  args.push('-');
  const warnings = unsupportedLimits('codex', request, { maxTurns: false, maxBudgetUsd: false });
  if (sandbox === 'danger-full-access') warnings.push('codex runs without a sandbox (danger-full-access): it can write anywhere, not only in the worktree');
  return { bin: 'codex', args, env: {}, stdin: request.prompt, warnings };
}

/** What codex logs on stderr when the sandbox refuses an apply_patch (no event reports it). */
const PATCH_REFUSED = /writing is blocked by read-only sandbox/i;

/**
 * null = success. A read-only sandbox's refused writes fail the batch although codex exits 0: a
 * shell write says "Read-only file system" in its output, a refused apply_patch only on stderr.
 */
export function classifyCodex(outcome: AgentOutcome): AgentFailure | null {
  let result = outcome.result;
  if (result && PATCH_REFUSED.test(outcome.stderrTail) && !result.permissionDenials.includes(CODEX_SANDBOX_DENIAL)) {
    result = { ...result, permissionDenials: [...result.permissionDenials, CODEX_SANDBOX_DENIAL] };
    outcome = { ...outcome, result };
  }
  const missing = result?.isError && result.message ? MISSING_ENV.exec(result.message) : null;
  if (missing && !outcome.timedOut && !outcome.aborted) {
    return { kind: 'not-logged-in', message: `codex is not logged in (${oneLine(result!.message!, 200)}): set ${missing[1]}` };
  }
  if (result?.isError && result.message && result.apiErrorStatus === null && SERVER_ERROR.test(result.message) && !outcome.timedOut && !outcome.aborted) {
    return {
      kind: 'api-error',
      message: `codex failed with an API error (HTTP 5xx: the model API answered with a server error; codex says "${oneLine(result.message, 200)}"): usually temporary, run the batch again`,
    };
  }
  return classifyOutcome(CODEX_FACTS, outcome);
}

export const codexAdapter = defineAdapter({
  name: 'codex',
  npmPackage: '@openai/codex',
  facts: CODEX_FACTS,
  buildInvocation: buildCodexInvocation,
  createParser: createCodexParser,
  classify: classifyCodex,
  // `turn.completed.usage` is the thread's total: a resumed thread counts its earlier runs again.
  sessionUsage: 'cumulative',
});
