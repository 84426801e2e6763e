import { classifyCommand } from './command';
import { classifyOutcome, isRetryable, notInstalled, reasonFromText, statusInText, type AgentFacts } from './failures';
import { agentResult } from './__fixtures__/request';
import type { AgentOutcome, AgentResult } from './types';

const FACTS: AgentFacts = {
  agent: 'mycli',
  credential: 'MYCLI_API_KEY',
  writeTools: new Set(['write']),
  permissionAdvice: 'allow writes',
  hangHint: 'mycli waits for a login when it has no key',
};

function outcome(extra: Partial<AgentOutcome>): AgentOutcome {
  return { exitCode: 0, signal: null, timedOut: false, result: null, stderrTail: '', ...extra };
}

const result = (extra: Partial<AgentResult>): AgentResult => agentResult({ sessionId: 's', turns: 3, ...extra });

describe('error text', () => {
  it.each([
    ['Error: 401 Unauthorized', 'auth', 401],
    ['HTTP 403 Forbidden: no Copilot access', 'auth', 403],
    ['Not logged in · Please run /login', 'auth', null],
    ['Error: Invalid API key', 'auth', null],
    ['missing api key for provider anthropic', 'auth', null],
    ['{"error":{"code":429,"message":"Resource has been exhausted"}}', 'rate_limited', 429],
    ['Rate limit reached for requests', 'rate_limited', null],
    ['Too Many Requests', 'rate_limited', null],
    ['API Error: 529 {"type":"overloaded_error"}', 'overloaded', 529],
    ['status: 503 Service Unavailable', 'overloaded', 503],
    ['Model is overloaded, try again', 'overloaded', null],
    ['Reached max session turns for this session', 'max_turns', null],
    ['request failed with status code 500', 'api_error', 500],
    ['HTTP/1.1 502 Bad Gateway', 'api_error', 502],
    ['TypeError: cannot read properties of undefined', null, null],
    ['', null, null],
    ['line 12: exit 1', null, null],
  ])('%j -> %s (status %s)', (text, reason, status) => {
    expect(statusInText(text)).toBe(status);
    expect(reasonFromText(text)).toBe(reason);
  });
});

describe('classifyOutcome', () => {
  it('success: exit 0 and a result without error', () => {
    expect(classifyOutcome(FACTS, outcome({ result: result({}) }))).toBeNull();
  });

  it('a timeout names the wait-for-login trap of CLIs that hang', () => {
    expect(classifyOutcome(FACTS, outcome({ exitCode: null, signal: 'SIGTERM', timedOut: true, timeoutMs: 90_000 }))).toEqual({
      kind: 'timeout',
      message: 'mycli was killed after 1m30s (mycli waits for a login when it has no key): raise `timeout` in the batch frontmatter, or make the batch smaller',
    });
  });

  it('exit 0 without a result event is a crash, unless the CLI has none to send', () => {
    expect(classifyOutcome(FACTS, outcome({}))?.message).toBe('mycli exited without a result event: is its output format overridden in agentArgs?');
    expect(classifyOutcome({ ...FACTS, resultEvent: false }, outcome({}))).toBeNull();
  });

  it('no result and a failing exit: the stderr text decides the class', () => {
    expect(classifyOutcome(FACTS, outcome({ exitCode: 1, stderrTail: 'Error: No API key found. Set MYCLI_API_KEY.\n' }))).toEqual({
      kind: 'not-logged-in',
      message: 'mycli is not logged in: set MYCLI_API_KEY',
    });
    expect(classifyOutcome(FACTS, outcome({ exitCode: 1, stderrTail: 'request failed: 429 Too Many Requests\n' }))).toEqual({
      kind: 'rate-limited',
      message: 'mycli was rate limited (HTTP 429: request failed: 429 Too Many Requests): wait, or run fewer batches at once (--parallel)',
    });
    expect(classifyOutcome(FACTS, outcome({ exitCode: 2, stderrTail: 'segfault\n' }))).toEqual({
      kind: 'crashed',
      message: 'mycli exited with code 2 without a result: segfault',
    });
  });

  it('reported errors by reason', () => {
    const kinds = (['auth', 'rate_limited', 'overloaded', 'max_turns', 'max_budget', 'api_error'] as const).map(
      (reason) => classifyOutcome(FACTS, outcome({ exitCode: 1, result: result({ isError: true, reason, apiErrorStatus: reason === 'api_error' ? 500 : null }) }))?.kind,
    );
    expect(kinds).toEqual(['not-logged-in', 'rate-limited', 'overloaded', 'max-turns', 'budget', 'api-error']);
  });

  it('an unnamed reported error is read from its message, else reported as is', () => {
    expect(classifyOutcome(FACTS, outcome({ exitCode: 1, result: result({ isError: true, reason: 'error', message: 'upstream said 529 overloaded' }) }))?.kind).toBe(
      'overloaded',
    );
    expect(classifyOutcome(FACTS, outcome({ exitCode: 1, result: result({ isError: true, reason: 'error', message: 'boom' }) }))).toEqual({
      kind: 'crashed',
      message: 'mycli reported an error (error): boom',
    });
  });

  it('credentials rejected (401/403) differ from no credentials', () => {
    expect(
      classifyOutcome(FACTS, outcome({ exitCode: 1, result: result({ isError: true, reason: 'auth', apiErrorStatus: 401, message: 'bad key' }) }))?.message,
    ).toBe("mycli's credentials were rejected (HTTP 401: bad key): set a valid MYCLI_API_KEY");
  });

  it('a refused write fails the batch; other refusals do not', () => {
    expect(classifyOutcome(FACTS, outcome({ result: result({ permissionDenials: ['write', 'write'] }) }))).toEqual({
      kind: 'permission-denied',
      message: 'mycli was refused write, so the batch did not do its work: allow writes',
    });
    expect(classifyOutcome(FACTS, outcome({ result: result({ permissionDenials: ['bash'] }) }))).toBeNull();
  });

  it('a success result with a failing exit is a crash', () => {
    expect(classifyOutcome(FACTS, outcome({ exitCode: 3, result: result({}) }))?.message).toBe('mycli exited with code 3 although it reported success: nothing on stderr');
  });
});

describe('retryable failures', () => {
  it('only rate limits and overload are retried', () => {
    expect(isRetryable({ kind: 'rate-limited', message: '' })).toBe(true);
    expect(isRetryable({ kind: 'overloaded', message: '' })).toBe(true);
    for (const kind of ['not-installed', 'not-logged-in', 'max-turns', 'budget', 'timeout', 'api-error', 'permission-denied', 'crashed'] as const) {
      expect(isRetryable({ kind, message: '' })).toBe(false);
    }
    expect(isRetryable(null)).toBe(false);
  });

  it('the command agent is retryable when its stderr says rate limited or overloaded', () => {
    expect(classifyCommand(outcome({ exitCode: 1, stderrTail: 'Error: 429 rate limit exceeded\n' }))).toEqual({
      kind: 'rate-limited',
      message: 'the batch command was rate limited (exited with code 1: Error: 429 rate limit exceeded): wait, or run fewer batches at once (--parallel)',
    });
    expect(classifyCommand(outcome({ exitCode: 1, stderrTail: 'overloaded_error\n' }))?.kind).toBe('overloaded');
    expect(classifyCommand(outcome({ exitCode: 1, stderrTail: 'Error: 401 Unauthorized\n' }))?.kind).toBe('crashed');
  });
});

describe('notInstalled', () => {
  it('names the npm package, or says how to install a CLI that is not on npm', () => {
    expect(notInstalled('opencode', 'opencode-ai').message).toBe(
      'the agent CLI "opencode" was not found in node_modules/.bin or on PATH: npm i -D opencode-ai (or set the executor option agentBin).',
    );
    expect(notInstalled('cursor-agent', null, 'curl https://cursor.com/install -fsS | bash').message).toContain(': curl https://cursor.com/install -fsS | bash (or set');
    expect(notInstalled('tool', null).message).toContain(': install tool (or set');
  });
});
