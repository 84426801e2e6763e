import type { AgentName } from './names';

/** Token counts as the agent reports them; null where it reports nothing. */
export interface TokenUsage {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
}

/** The common event type every adapter parses its CLI's stream into. */
export type AgentEvent =
  | { kind: 'init'; sessionId: string | null; model: string | null }
  | { kind: 'message'; text: string }
  | { kind: 'tool-use'; id: string | null; tool: string; /** short human detail, e.g. the file path */ detail: string | null }
  | { kind: 'tool-result'; id: string | null; ok: boolean; text: string | null }
  | { kind: 'retry'; attempt: number | null; status: number | null; message: string | null }
  | { kind: 'result'; result: AgentResult }
  /** A line the adapter does not understand: kept in the transcript, ignored in progress. */
  | { kind: 'unknown'; line: string };

/** What the agent said about its own run (its final event). */
export interface AgentResult {
  /** true when the agent itself reports an error (claude: is_error; never judged by subtype alone). */
  isError: boolean;
  /** machine-readable reason when known: 'max_turns' | 'max_budget' | 'api_error' | 'auth' | ... */
  reason: string | null;
  message: string | null;
  sessionId: string | null;
  turns: number | null;
  tokens: TokenUsage;
  costUsd: number | null;
  /** Tools the agent was refused (a refused write means the batch did not do its work). */
  permissionDenials: string[];
  apiErrorStatus: number | null;
}

/** Everything an adapter needs to build the command line for one batch. */
export interface AgentRunRequest {
  /** The full prompt text (preamble + batch prompt). */
  prompt: string;
  /** The same prompt written to a file, for CLIs or commands that read one. */
  promptFile: string;
  /** Worktree root: the agent's cwd. */
  cwd: string;
  model: string | null;
  maxTurns: number | null;
  maxBudgetUsd: number | null;
  /** argv of the `command` agent, with {prompt} / {promptFile} placeholders. */
  command: string[] | null;
  /** Extra arguments appended verbatim (executor option `agentArgs`). */
  extraArgs: string[];
  /** The batch's section for this agent (agents/options.ts), already validated; {} when absent. */
  options: Record<string, unknown>;
  /**
   * Session to continue (executor option `resume`: the sessionId of the batch's last result.json),
   * null for a fresh session. Adapters map it to their CLI's resume flag (claude `--resume <id>`).
   */
  resumeSessionId: string | null;
}

/** How to start the CLI: argv (no shell), extra env, and what to write to stdin before closing it. */
export interface AgentInvocation {
  bin: string;
  args: string[];
  env: Record<string, string>;
  stdin: string | null;
  /** Settings the CLI cannot honour (e.g. maxBudgetUsd without a budget flag): printed before the run. */
  warnings?: string[];
}

/** A failure class with a message that says what to do. */
export interface AgentFailure {
  /** rate-limited and overloaded are retried by the executor (options retries, retryDelay); the rest are not. */
  kind: 'not-installed' | 'not-logged-in' | 'rate-limited' | 'overloaded' | 'max-turns' | 'budget' | 'timeout' | 'api-error' | 'permission-denied' | 'crashed';
  message: string;
}

/** How the process ended, plus what was parsed from its stream. */
export interface AgentOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  result: AgentResult | null;
  /** Last few KB of stderr, for error messages. */
  stderrTail: string;
  /** The timeout that killed it (for the message), when timedOut. */
  timeoutMs?: number | null;
  /** Stopped by the caller (abort signal, SIGINT/SIGTERM): a cancellation, not the agent's failure. */
  aborted?: boolean;
}

/**
 * Parses one stdout line into zero or more events; never throws. `end`, when present, is called once
 * after the process ended, for CLIs whose stream has no final result event (opencode): it returns the
 * result assembled from what was seen.
 */
export type LineParser = ((line: string) => AgentEvent[]) & { end?: () => AgentEvent[] };

/** One adapter per CLI. Stateless: `createParser` returns a fresh line parser per run. */
export interface AgentAdapter {
  name: AgentName;
  /** Executable to look up (workspace node_modules/.bin first, then PATH). */
  bin: string;
  /** npm package that provides the binary, for the "not installed" message. */
  npmPackage: string | null;
  /** How to install it when it is not an npm package (cursor), for the same message. */
  install?: string;
  versionArgs: string[];
  /**
   * Checked before the worktree is made: a failure that is certain before the CLI starts (amp without
   * AMP_API_KEY starts a browser login and hangs). `env` is the environment the CLI would get.
   */
  preflight?(env: NodeJS.ProcessEnv): AgentFailure | null;
  buildInvocation(request: AgentRunRequest): AgentInvocation;
  /** `cwd` is the worktree root, for CLIs whose events carry absolute paths but no cwd of their own. */
  createParser(cwd?: string): LineParser;
  /** null = success. */
  classify(outcome: AgentOutcome): AgentFailure | null;
  /** cumulative: a resumed session reports its tokens counted from the session's start (codex); default per-run. */
  sessionUsage?: 'per-run' | 'cumulative';
}
