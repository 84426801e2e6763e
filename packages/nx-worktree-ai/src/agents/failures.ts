import { formatDuration, formatUsd, oneLine, stderrSummary } from './format';
import type { AgentFailure, AgentOutcome, AgentResult } from './types';

/**
 * The failure classes every adapter reports, each with a message that says what to do. Adapters
 * describe their CLI once (AgentFacts) and classify with `classifyOutcome`; the messages live here
 * so "not logged in" or "rate limited" read the same whichever CLI ran.
 */

/** What the failure messages need to know about one CLI. */
export interface AgentFacts {
  /** Its name in messages: "claude", "opencode". */
  agent: string;
  /** The credential to set, e.g. "ANTHROPIC_API_KEY (or run `claude /login`)": messages say "set <credential>". */
  credential: string;
  /** Tool (or permission) names that write files: a refused one means the batch did not do its work. */
  writeTools?: ReadonlySet<string>;
  /** What to check when writes were refused. */
  permissionAdvice?: string;
  /** false when the stream has no final result event to expect (then exit 0 alone is success). Default true. */
  resultEvent?: boolean;
  /** Added to a timeout message: some CLIs wait silently for a login instead of failing. */
  hangHint?: string;
}

/** Failures the executor retries (options retries, retryDelay): they say nothing about the batch. */
export const RETRYABLE_FAILURES: ReadonlySet<AgentFailure['kind']> = new Set(['rate-limited', 'overloaded']);

export function isRetryable(failure: AgentFailure | null): boolean {
  return failure !== null && RETRYABLE_FAILURES.has(failure.kind);
}

// ---- the messages ------------------------------------------------------------------------------

export function notInstalled(bin: string, npmPackage: string | null, install?: string): AgentFailure {
  const how = npmPackage ? `npm i -D ${npmPackage}` : (install ?? `install ${bin}`);
  return { kind: 'not-installed', message: `the agent CLI "${bin}" was not found in node_modules/.bin or on PATH: ${how} (or set the executor option agentBin).` };
}

export function notLoggedIn(facts: AgentFacts, detail: string | null = null): AgentFailure {
  return { kind: 'not-logged-in', message: `${facts.agent} is not logged in${paren(detail)}: set ${facts.credential}` };
}

export function credentialsRejected(facts: AgentFacts, detail: string | null): AgentFailure {
  return { kind: 'not-logged-in', message: `${facts.agent}'s credentials were rejected${paren(detail)}: set a valid ${facts.credential}` };
}

export function rateLimited(agent: string, detail: string | null): AgentFailure {
  return { kind: 'rate-limited', message: `${agent} was rate limited${paren(detail)}: wait, or run fewer batches at once (--parallel)` };
}

export function overloaded(agent: string, detail: string | null): AgentFailure {
  return { kind: 'overloaded', message: `${agent}'s model API is overloaded${paren(detail)}: usually temporary, run the batch again later` };
}

export function maxTurns(agent: string, detail: string | null): AgentFailure {
  return { kind: 'max-turns', message: `${agent} hit its turn limit${paren(detail)}: raise \`maxTurns\` in the batch frontmatter, or make the batch smaller` };
}

export function budgetExceeded(agent: string, detail: string | null): AgentFailure {
  return { kind: 'budget', message: `${agent} hit its budget${paren(detail)}: raise \`maxBudgetUsd\` in the batch frontmatter, or make the batch smaller` };
}

export function timedOut(agent: string, timeoutMs: number | null | undefined, hangHint?: string): AgentFailure {
  const after = timeoutMs ? `after ${formatDuration(timeoutMs)}` : 'at its timeout';
  const hint = hangHint ? ` (${hangHint})` : '';
  return { kind: 'timeout', message: `${agent} was killed ${after}${hint}: raise \`timeout\` in the batch frontmatter, or make the batch smaller` };
}

export function interrupted(agent: string): AgentFailure {
  return { kind: 'crashed', message: `${agent} was interrupted (the run was cancelled)` };
}

export function apiError(agent: string, status: number | null, said: string | null): AgentFailure {
  const what = [status !== null ? `HTTP ${status}` : 'no HTTP status', said].filter(Boolean).join(': ');
  return { kind: 'api-error', message: `${agent} failed with an API error (${what}): ${apiErrorAdvice(status)}` };
}

export function permissionDenied(agent: string, tools: string[], advice: string): AgentFailure {
  return { kind: 'permission-denied', message: `${agent} was refused ${[...new Set(tools)].join(', ')}, so the batch did not do its work: ${advice}` };
}

export function crashed(message: string): AgentFailure {
  return { kind: 'crashed', message };
}

function apiErrorAdvice(status: number | null): string {
  if (status === 404) return 'check `model` in the batch frontmatter';
  if (status !== null && status >= 400 && status < 500) return 'check the request settings (model, agentArgs)';
  return 'usually temporary, run the batch again';
}

/** " (a)" or "" */
function paren(detail: string | null): string {
  return detail ? ` (${oneLine(detail, 300)})` : '';
}

/** "a; b" from the parts present, or null. */
export function details(...parts: (string | null | undefined)[]): string | null {
  const present = parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => oneLine(p, 200));
  return present.length === 0 ? null : present.join('; ');
}

// ---- reading error text ------------------------------------------------------------------------

/** AgentResult.reason values that classifyOutcome understands. */
export type ErrorReason = 'auth' | 'rate_limited' | 'overloaded' | 'max_turns' | 'max_budget' | 'api_error';

const STATUS = /\b(?:HTTP(?:\/\d(?:\.\d)?)?|status(?:[ _]?code)?|code|error)["':= ]*([45]\d\d)\b/i;
const BARE_STATUS = /\b(401|403|429|500|502|503|504|529)\b/;
const AUTH =
  /not logged in|log ?in required|please (?:run [^\n]*login|log ?in|login)|unauthori[sz]ed|authentication(?:_error| failed| error| required)|invalid[ _-](?:x-)?api[ _-]?key|invalid (?:token|credentials)|(?:missing|no) (?:valid )?(?:api[ _-]?key|credentials|auth(?:entication)?\b)|api[ _-]?key (?:is )?(?:missing|not set|required|invalid)/i;
const RATE = /rate[ _-]?limit|too many requests|resource[ _-]?exhausted|throttl/i;
const OVERLOAD = /overloaded|over capacity|server is busy|temporarily unavailable|service unavailable/i;
const TURNS = /max(?:imum)?[ _-]?(?:number of )?(?:session[ _-]?)?turns/i;

/** The HTTP status an error text mentions ("HTTP 429", "status: 503", "401 Unauthorized"), or null. */
export function statusInText(text: string): number | null {
  const match = STATUS.exec(text) ?? BARE_STATUS.exec(text);
  return match ? Number(match[1]) : null;
}

/**
 * What an error text (stderr, an error event's message) says happened, for CLIs that report
 * failures as text. null when it says nothing recognisable.
 */
export function reasonFromText(text: string, status: number | null = statusInText(text)): ErrorReason | null {
  if (status === 401 || status === 403 || AUTH.test(text)) return 'auth';
  if (status === 429 || RATE.test(text)) return 'rate_limited';
  if (status === 529 || status === 503 || OVERLOAD.test(text)) return 'overloaded';
  if (TURNS.test(text)) return 'max_turns';
  if (status !== null) return 'api_error';
  return null;
}

// ---- classifying an outcome --------------------------------------------------------------------

/**
 * null = the run succeeded. In order: killed (timeout, cancel) > the error the CLI reported >
 * a non-zero exit > writes it was refused. Judged by exit code AND the reported result, never by
 * one alone (claude reports auth failures as subtype "success" with is_error).
 */
export function classifyOutcome(facts: AgentFacts, outcome: AgentOutcome): AgentFailure | null {
  return classifyInterrupted(facts.agent, outcome, facts.hangHint) ?? classifyReported(facts, outcome) ?? classifyExit(facts, outcome) ?? classifyDenials(facts, outcome);
}

/** Timeout and interruption come first: a killed run's partial result says nothing. */
export function classifyInterrupted(agent: string, outcome: AgentOutcome, hangHint?: string): AgentFailure | null {
  if (outcome.timedOut) return timedOut(agent, outcome.timeoutMs, hangHint);
  if (outcome.aborted) return interrupted(agent);
  return null;
}

export function exitText(outcome: AgentOutcome): string {
  if (outcome.exitCode !== null) return `exited with code ${outcome.exitCode}`;
  return outcome.signal ? `was killed by ${outcome.signal}` : 'ended';
}

function classifyReported(facts: AgentFacts, outcome: AgentOutcome): AgentFailure | null {
  const result = outcome.result;
  if (result === null) {
    if (outcome.exitCode === 0) {
      return facts.resultEvent === false ? null : crashed(`${facts.agent} exited without a result event: is its output format overridden in agentArgs?`);
    }
    return fromText(facts, outcome.stderrTail, null) ?? crashed(`${facts.agent} ${exitText(outcome)} without a result: ${stderrSummary(outcome.stderrTail)}`);
  }
  if (!result.isError) return null;
  return fromResult(facts, result) ?? fromText(facts, `${result.message ?? ''}\n${outcome.stderrTail}`, result.apiErrorStatus) ??
    crashed(`${facts.agent} reported an error (${result.reason ?? 'unknown'})${result.message ? `: ${oneLine(result.message, 200)}` : ''}`);
}

function fromResult(facts: AgentFacts, result: AgentResult): AgentFailure | null {
  const http = result.apiErrorStatus !== null ? `HTTP ${result.apiErrorStatus}` : null;
  const said = result.message ? oneLine(result.message, 200) : null;
  const both = http && said ? `${http}: ${said}` : (http ?? said);
  switch (result.reason) {
    case 'auth':
      return result.apiErrorStatus === 401 || result.apiErrorStatus === 403 ? credentialsRejected(facts, both) : notLoggedIn(facts);
    case 'max_turns':
      return maxTurns(facts.agent, details(result.message, result.turns !== null ? `${result.turns} turns` : null));
    case 'max_budget':
      return budgetExceeded(facts.agent, details(result.message, result.costUsd !== null ? `spent ${formatUsd(result.costUsd)}` : null));
    case 'rate_limited':
      return rateLimited(facts.agent, both);
    case 'overloaded':
      return overloaded(facts.agent, both);
    case 'api_error':
      return apiError(facts.agent, result.apiErrorStatus, said);
    default:
      return null;
  }
}

/** A failure from error text, or null when the text says nothing recognisable. */
function fromText(facts: AgentFacts, text: string, knownStatus: number | null): AgentFailure | null {
  const status = knownStatus ?? statusInText(text);
  const reason = reasonFromText(text, status);
  if (reason === null) return null;
  const summary = stderrSummary(text, 300);
  return fromResult(facts, {
    isError: true,
    reason,
    message: summary === 'nothing on stderr' ? null : summary,
    sessionId: null,
    turns: null,
    tokens: { input: null, output: null, cacheRead: null, cacheWrite: null },
    costUsd: null,
    permissionDenials: [],
    apiErrorStatus: status,
  });
}

function classifyExit(facts: AgentFacts, outcome: AgentOutcome): AgentFailure | null {
  if (outcome.exitCode === 0) return null;
  if (outcome.result === null) return null; // handled with the missing result
  return fromText(facts, outcome.stderrTail, null) ?? crashed(`${facts.agent} ${exitText(outcome)} although it reported success: ${stderrSummary(outcome.stderrTail)}`);
}

function classifyDenials(facts: AgentFacts, outcome: AgentOutcome): AgentFailure | null {
  if (!facts.writeTools) return null;
  const writes = (outcome.result?.permissionDenials ?? []).filter((tool) => facts.writeTools!.has(tool));
  if (writes.length === 0) return null;
  return permissionDenied(facts.agent, writes, facts.permissionAdvice ?? 'check the permission settings in agentArgs');
}
