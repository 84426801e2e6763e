/**
 * Batches that prove their work, end to end: the packed tarball in a hand-built Nx workspace, the
 * real claude and codex CLIs against the scripted servers, a `verify` command (node check.js) that
 * fails on the agent's first write.
 * - The session is resumed with the check's output and fixes the work; the fix is applied.
 * - A check that never passes fails the batch after `attempts` agent runs; nothing is applied or stored.
 * - `samples: 2` (claude and codex at once): the sample that fails its check is kept on its sample
 *   branch, the one that passes is applied.
 *
 * The tests share one workspace and run in order. Keep it: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALC_PROJECT, calcBatch, fixRule, neverRule, raceRules, RIGHT_SUM, WRONG_SUM, WRONG_SUM_OUTPUT } from '../testing/fixtures/verify-batches';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type RequestLogEntry } from '../testing/scripted-model/anthropic';
import { codexProviderConfig, codexTestEnv, startResponsesServer } from '../testing/scripted-model/responses';
import { createWorkspace, git, readResult, readWorkspaceFile, runNx, stripAnsi, writeBatch, commitAll, type BatchResult, type Workspace } from '../testing/workspace';
import { removeUnlessKept } from '../testing/e2e';

jest.setTimeout(10 * 60_000);

type Attempt = { verify: { exitCode: number | null; durationMs: number; outputTail: string } | null; sessionId: string | null; turns: number | null; tokens: BatchResult['tokens']; costUsd: number | null };
type Sample = { k: number; agent: string; status: string; attempts: Attempt[]; branch: string; error: string | null };
type VerifiedResult = BatchResult & { attempts?: Attempt[]; samples?: Sample[] };

const RACE = raceRules('race', 'race');

let claude: AnthropicServer;
let codex: AnthropicServer;
let ws: Workspace;
let env: Record<string, string>;

function log(message: string): void {
  process.stdout.write(`[e2e verify] ${message}\n`);
}

async function nx(args: string[]): Promise<{ code: number; text: string }> {
  const res = await runNx(ws, args, { env });
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s`);
  return { code: res.code, text: stripAnsi(res.output) };
}

const main = (server: AnthropicServer, rule: string): RequestLogEntry[] => server.requests.filter((r) => r.kind === 'main' && r.rule === rule);
const storedResults = () => git(ws.root, 'for-each-ref', '--format=%(refname)', 'refs/nx-worktree-ai/cache/').split('\n').filter(Boolean);
const codexBatch = (name: string, module: string, script: string) =>
  calcBatch(name, module, script, { agent: 'codex', model: 'gpt-5.5', codex: { config: codexProviderConfig(codex.url, { maxRetries: 1 }) } });
/** claude and codex at once; codex's model is set in its own section (the batch's model is claude's). */
const raceBatch = () =>
  calcBatch('race', 'race', 'race', { samples: 2, samplesAgents: ['claude', 'codex'], attempts: 1, codex: { config: { ...codexProviderConfig(codex.url, { maxRetries: 1 }), model: 'gpt-5.5' } } });

beforeAll(async () => {
  claude = await startAnthropicServer({ rules: [fixRule('fix-claude', 'sum'), neverRule('never', 'total'), RACE.claude] });
  codex = await startResponsesServer({ rules: [fixRule('fix-codex', 'add'), RACE.codex] });
  ws = createWorkspace({
    projects: { calc: CALC_PROJECT },
    batches: [calcBatch('sum', 'sum', 'fix-claude'), calcBatch('total', 'total', 'never', { attempts: 2 }), codexBatch('add', 'add', 'fix-codex')],
    prefix: 'nxwa-e2e-verify-',
    log,
  });
  for (const d of ['claude-config', 'codex-home']) mkdirSync(join(ws.base, d), { recursive: true });
  env = { ...claudeTestEnv(claude.url, join(ws.base, 'claude-config')), ...codexTestEnv(codex.url, join(ws.base, 'codex-home'), { proxySink: false }) };
  log(`workspace ${ws.root}`);
}, 600_000);

afterAll(async () => {
  await claude?.close();
  await codex?.close();
  removeUnlessKept(ws, log);
});

/** The same session resumed once with the check's output, then the fix applied and recorded. */
function expectFixedInSecondAttempt(server: AnthropicServer, rule: string, batch: string, module: string, text: string): void {
  const requests = main(server, rule);
  const result = readResult(ws, 'calc', batch) as VerifiedResult;
  expect(result).toMatchObject({ status: 'succeeded', error: null, filesChanged: [`libs/calc/src/${module}.js`] });
  expect(result.attempts?.map((a) => a.verify?.exitCode)).toEqual([1, 0]);
  expect(result.attempts?.[0].verify?.outputTail).toContain(WRONG_SUM_OUTPUT);
  expect(result.attempts?.[1].verify?.outputTail).toContain('PASS sum(2, 3) = 5');
  // One session throughout: the fix continued it, and both attempts name it.
  expect(new Set(requests.map((r) => r.session))).toEqual(new Set([result.sessionId]));
  expect(result.attempts?.map((a) => a.sessionId)).toEqual([result.sessionId, result.sessionId]);
  // The resumed run's first request carries the command, its exit code and its output.
  const resumed = requests.find((r) => r.step === 2);
  expect(resumed?.lastPrompt).toContain(`node libs/calc/check.js ${module}`);
  expect(resumed?.lastPrompt).toContain('exited with code 1');
  expect(resumed?.lastPrompt).toContain(WRONG_SUM_OUTPUT);
  expect(requests.filter((r) => r.step! < 2).every((r) => !r.lastPrompt?.includes(WRONG_SUM_OUTPUT))).toBe(true);
  expect(readWorkspaceFile(ws, `libs/calc/src/${module}.js`)).toBe(RIGHT_SUM);
  expect(text).toContain(`[calc:${batch}] verify \`node libs/calc/check.js ${module}\` failed with exit code 1`);
  expect(text).toContain(`resuming session ${result.sessionId} to fix it (attempt 2 of 3)`);
  expect(text).toContain(`[calc:${batch}] verify \`node libs/calc/check.js ${module}\` passed`);
  expect(text).toContain(`[calc:${batch}] succeeded · 2 attempts · `);
  // What the check wrote is undone after each run: neither the agent's work nor a scope violation.
  expect(text).toContain(`[calc:${batch}] verify changed libs/calc/check-report.txt: undone`);
  expect(existsSync(join(ws.root, 'libs/calc/check-report.txt'))).toBe(false);
}

describe('verify: work that proves itself', () => {
  test('claude: the first write fails verify, the resumed session gets the output and fixes it, the fix is applied', async () => {
    const res = await nx(['run', 'calc:ai-generate--sum', '--output-style=static']);
    if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.text}`);
    expectFixedInSecondAttempt(claude, 'fix-claude', 'sum', 'sum', res.text);
    // Only the verified result is stored.
    expect(storedResults()).toHaveLength(1);
  });

  test('a check that never passes fails the batch after `attempts` agent runs, applies nothing and stores nothing', async () => {
    const res = await nx(['run', 'calc:ai-generate--total', '--output-style=static']);
    expect(res.code).not.toBe(0);
    const result = readResult(ws, 'calc', 'total') as VerifiedResult;
    expect(result.status).toBe('failed');
    expect(result.attempts?.map((a) => a.verify?.exitCode)).toEqual([1, 1]);
    expect(result.error).toContain('verify `node libs/calc/check.js total` still failed after 2 attempt(s): it exited with code 1');
    expect(result.error).toContain(WRONG_SUM_OUTPUT);
    expect(result.error).toContain('the work is on branch ai/calc/total');
    expect(res.text).toContain(`[calc:total] failed: ${result.error}`);
    // Two runs of one session, then nothing more.
    const requests = main(claude, 'never');
    expect(new Set(requests.map((r) => r.session)).size).toBe(1);
    expect(requests.filter((r) => r.lastPrompt?.includes(WRONG_SUM_OUTPUT))).not.toHaveLength(0);
    expect(existsSync(join(ws.root, 'libs/calc/src/total.js'))).toBe(false);
    expect(git(ws.root, 'show', 'ai/calc/total:libs/calc/src/total.js')).toBe(WRONG_SUM.trimEnd());
    expect(storedResults()).toHaveLength(1);
  });

  test('codex: the same failed check resumes the thread (exec resume) with the output, and the fix is applied', async () => {
    commitAll(ws, 'verified sum');
    writeBatch(ws, codexBatch('add', 'add', 'fix-codex'));
    const res = await nx(['run', 'calc:ai-generate--add', '--output-style=static']);
    if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.text}`);
    expectFixedInSecondAttempt(codex, 'fix-codex', 'add', 'add', res.text);
    // codex reports the thread's total at each run's end: the attempts split it, they do not count it twice.
    const usage = readFileSync(join(ws.root, '.nx-worktree-ai/calc/add/transcript.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"turn.completed"'))
      .map((line) => JSON.parse(line).usage as { input_tokens: number; output_tokens: number });
    expect(usage).toHaveLength(2);
    expect(usage[1].input_tokens).toBeGreaterThan(usage[0].input_tokens);
    const result = readResult(ws, 'calc', 'add') as VerifiedResult;
    const inputOf = (t: BatchResult['tokens']) => (t?.input ?? 0) + (t?.cacheRead ?? 0);
    expect(inputOf(result.tokens)).toBe(usage[1].input_tokens);
    expect(result.tokens?.output).toBe(usage[1].output_tokens);
    expect(result.attempts?.map((a) => inputOf(a.tokens))).toEqual([usage[0].input_tokens, usage[1].input_tokens - usage[0].input_tokens]);
  });

  test('samples: 2, claude and codex at once: the sample that fails verify stays on its branch, the one that passes is applied', async () => {
    writeBatch(ws, raceBatch());
    commitAll(ws, 'race batch');
    const res = await nx(['run', 'calc:ai-generate--race', '--output-style=static']);
    if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.text}`);
    const result = readResult(ws, 'calc', 'race') as VerifiedResult;
    expect(result).toMatchObject({ status: 'succeeded', agent: 'codex', branch: 'ai/calc/race', filesChanged: ['libs/calc/src/race.js'] });
    expect(result.samples?.map((s) => [s.k, s.agent, s.status, s.branch])).toEqual([
      [1, 'claude', 'failed', 'ai/calc/race--sample-1'],
      [2, 'codex', 'succeeded', 'ai/calc/race'],
    ]);
    expect(result.samples?.[0].attempts.map((a) => a.verify?.exitCode)).toEqual([1]);
    expect(result.samples?.[0].error).toContain('verify `node libs/calc/check.js race` still failed after 1 attempt(s)');
    expect(result.attempts?.map((a) => a.verify?.exitCode)).toEqual([0]);
    expect(readWorkspaceFile(ws, 'libs/calc/src/race.js')).toBe(RIGHT_SUM);
    expect(git(ws.root, 'show', 'ai/calc/race--sample-1:libs/calc/src/race.js')).toBe(WRONG_SUM.trimEnd());
    expect(git(ws.root, 'show', 'ai/calc/race:libs/calc/src/race.js')).toBe(RIGHT_SUM.trimEnd());
    // Both at once, each in a worktree of its own: the claude session began and ended while codex's ran.
    const fromClaude = main(claude, 'race-claude');
    const fromCodex = main(codex, 'race-codex');
    expect(new Set(fromClaude.map((r) => r.session)).size).toBe(1);
    expect(new Set(fromCodex.map((r) => r.session)).size).toBe(1);
    const span = (requests: RequestLogEntry[]) => [Math.min(...requests.map((r) => r.at)), Math.max(...requests.map((r) => r.at))];
    const [claudeFirst, claudeLast] = span(fromClaude);
    const [codexFirst, codexLast] = span(fromCodex);
    expect(claudeFirst).toBeLessThan(codexLast);
    expect(codexFirst).toBeLessThan(claudeLast);
    expect(fromClaude[0].cwd).not.toBe(fromCodex[0].cwd);
    expect(res.text).toContain('[calc:race] 2 samples at once (claude, codex); the first whose work passes verify is applied');
    expect(res.text).toContain('[calc:race] sample 2 passed: it is applied; the others are stopped');
    expect(res.text).toContain('[calc:race] succeeded · sample 2 of 2 (codex) · 1 attempt · ');
  });
});
