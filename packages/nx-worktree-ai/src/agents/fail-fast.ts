import type { AgentName } from './names';
import { CLAUDE_FACTS } from './claude';
import { CODEX_FACTS } from './codex';
import { codexProviderOf, type CodexProvider } from './codex-provider';
import { credentialsRejected, notLoggedIn, reasonFromText, type AgentFacts } from './failures';
import { oneLine } from './format';
import { GEMINI_FACTS } from './gemini';
import type { AgentEvent, AgentFailure, AgentInvocation, AgentResult } from './types';

/**
 * Stops an agent as soon as its stream shows the run cannot succeed, instead of waiting for the
 * CLI's own retries or the batch timeout: rejected credentials (claude retries a 401 ten times over
 * about three minutes, codex five times) and, for codex, a model API it cannot reach (codex retries
 * a refused connection forever). The failure names what to fix: the variable the CLI really reads
 * its key from (a codex custom provider's env_key) or the base URL it could not reach.
 */
export interface FailFast {
  /** Looks at one parsed event; the first failure it finds aborts `signal`. */
  check(event: AgentEvent): void;
  readonly signal: AbortSignal;
  /** Why the agent was stopped; null while nothing was found. */
  readonly failure: AgentFailure | null;
}

/** Connection failures in a row after which a codex run is stopped (it would wait for the timeout). */
export const CODEX_CONNECTION_FAILURES = 3;

const CONNECTION_FAILED = /connection (?:failed|refused|reset)|error sending request|failed to lookup address|dns error|tcp connect|network is unreachable|no route to host/i;

type Watch = (event: AgentEvent) => AgentFailure | null;

/** `env` is the environment the CLI runs with (process.env plus the invocation's). */
export function failFast(agent: AgentName, invocation: AgentInvocation, env: NodeJS.ProcessEnv): FailFast {
  const watch = watcherOf(agent, invocation, env);
  const controller = new AbortController();
  let failure: AgentFailure | null = null;
  return {
    check(event) {
      if (failure || !watch) return;
      failure = watch(event);
      if (failure) controller.abort();
    },
    signal: controller.signal,
    get failure() {
      return failure;
    },
  };
}

function watcherOf(agent: AgentName, invocation: AgentInvocation, env: NodeJS.ProcessEnv): Watch | null {
  switch (agent) {
    case 'claude':
      return authWatch({ ...CLAUDE_FACTS, credential: claudeCredential(env) });
    case 'gemini':
      return authWatch(GEMINI_FACTS);
    case 'codex':
      return codexWatch(codexProviderOf(invocation.args));
    default:
      return null;
  }
}

/** The first retry of an authentication failure, or a final result that reports one. */
function authWatch(facts: AgentFacts): Watch {
  return (event) => {
    if (event.kind === 'retry' && isAuthRetry(event)) {
      const said = [event.status !== null ? `HTTP ${event.status}` : null, event.message].filter(Boolean).join(': ');
      return credentialsRejected(facts, `${said}; stopped at ${facts.agent}'s first retry instead of waiting for the rest`);
    }
    if (event.kind === 'result' && event.result.isError && event.result.reason === 'auth') return authResult(facts, event.result);
    return null;
  };
}

function isAuthRetry(event: Extract<AgentEvent, { kind: 'retry' }>): boolean {
  if (event.status === 401 || event.status === 403) return true;
  return event.message !== null && (event.message === 'authentication_failed' || reasonFromText(event.message, event.status) === 'auth');
}

function authResult(facts: AgentFacts, result: AgentResult): AgentFailure {
  const status = result.apiErrorStatus;
  if (status !== 401 && status !== 403) return notLoggedIn(facts);
  return credentialsRejected(facts, [`HTTP ${status}`, result.message && oneLine(result.message, 200)].filter(Boolean).join(': '));
}

/**
 * The claude credential in use: claude sends ANTHROPIC_AUTH_TOKEN (bearer), ANTHROPIC_API_KEY
 * (x-api-key) or CLAUDE_CODE_OAUTH_TOKEN, whichever are set; with none, its own login.
 */
export function claudeCredential(env: NodeJS.ProcessEnv): string {
  const set = ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'].filter((name) => (env[name] ?? '') !== '');
  if (set.length === 0) return CLAUDE_FACTS.credential;
  return set.length === 1 ? set[0] : `${set.join(' or ')} (all of them are set; claude sends each)`;
}

/** The variable a codex provider reads its key from, as "set a valid <this>" says it. */
export function codexCredential(provider: CodexProvider): string {
  if (provider.envKey && provider.fromArgs) return `${provider.envKey} (the env_key of model provider "${provider.id}" in the batch's codex config)`;
  if (provider.envKey) return CODEX_FACTS.credential;
  return `the variable named by env_key of model provider "${provider.id}" (in $CODEX_HOME/config.toml)`;
}

function codexWatch(provider: CodexProvider): Watch {
  const auth = authWatch({ ...CODEX_FACTS, credential: codexCredential(provider) });
  let refused = 0;
  return (event) => {
    // A missing env_key variable is named by classifyCodex from codex's own words.
    if (event.kind === 'result' && /Missing environment variable/.test(event.result.message ?? '')) return null;
    const failure = auth(event);
    if (failure) return failure;
    if (event.kind !== 'retry') {
      refused = 0;
      return null;
    }
    if (!event.message || !CONNECTION_FAILED.test(event.message)) return null;
    refused += 1;
    return refused >= CODEX_CONNECTION_FAILURES ? unreachable(provider, refused, event.message) : null;
  };
}

function unreachable(provider: CodexProvider, times: number, cause: string): AgentFailure {
  const where = provider.baseUrl
    ? `${provider.baseUrl} (model provider "${provider.id}"${provider.fromArgs ? '' : ", codex's default"})`
    : `the base_url of model provider "${provider.id}" (in $CODEX_HOME/config.toml)`;
  const fix = provider.fromArgs
    ? 'check base_url in the batch\'s codex config (or agentArgs) and that the server is running'
    : 'check the network, the proxy settings and the model provider';
  return {
    kind: 'api-error',
    message: `codex cannot reach its model API at ${where}: ${times} connection failures in a row (${oneLine(cause, 200)}); stopped instead of waiting for the timeout, as codex retries forever: ${fix}`,
  };
}
