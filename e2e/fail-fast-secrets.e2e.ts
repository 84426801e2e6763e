/**
 * Results you can trust, end to end: a hand-built Nx workspace that installed the packed tarball,
 * the real claude CLI, and the scripted Anthropic server in this process.
 *
 *   - rejected credentials with claude's DEFAULT retries (ten, over about three minutes): the batch
 *     fails at claude's first retry, and the message names the variable to fix;
 *   - a 120-character token the model repeats in a long text line and a long tool call: no piece of
 *     it reaches the terminal output of `nx run-many`, the artifacts or Nx's cache.
 *
 * Keep the workspace for inspection: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_PROJECTS } from '../testing/fixtures/six-batches';
import { leaksOf } from '../testing/leaks';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type ScriptRule } from '../testing/scripted-model/anthropic';
import { ARTIFACTS_DIR, createWorkspace, readResult, readWorkspaceFile, runNx, stripAnsi, type BatchDef, type NxResult, type Workspace } from '../testing/workspace';
import { removeUnlessKept } from '../testing/e2e';

jest.setTimeout(10 * 60_000);

const STREAM = '--output-style=stream';
/** GITHUB_TOKEN is one of the credential variables: its value is redacted wherever it shows. */
const TOKEN = `ghp_R3dT3am${'x7Kq9'.repeat(21)}ZZQQ`;
const OUT = 'libs/auth/src/leak/done.ts';

const RULES: ScriptRule[] = [
  // A sticky 401 that claude may retry (x-should-retry: true): it would, ten times.
  { name: 'refused', match: 'SCRIPT:refused.', steps: [{ error: { status: 401, shouldRetry: true } }] },
  {
    name: 'leak',
    match: 'SCRIPT:leak.',
    steps: [
      { bash: `echo ${TOKEN} > /dev/null`, say: `I found the token ${TOKEN} in the environment and will check it.` },
      { write: { path: OUT, content: 'export const done = true;\n' } },
      { text: `Done; the token was ${TOKEN}.` },
    ],
  },
];

function batch(name: string, description: string): BatchDef {
  return {
    project: 'auth',
    name,
    frontmatter: { description, agent: 'claude', outputs: [`src/${name}/**`], timeout: '5m', maxTurns: 6 },
    prompt: `Do the task. SCRIPT:${name}.\n`,
  };
}

let server: AnthropicServer;
let ws: Workspace;
let env: Record<string, string>;

function log(message: string): void {
  process.stdout.write(`[e2e:trust] ${message}\n`);
}

async function nx(args: string[], extra: Record<string, string | undefined> = {}): Promise<NxResult> {
  const res = await runNx(ws, args, { env: { ...env, ...extra } });
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s`);
  return res;
}

beforeAll(async () => {
  server = await startAnthropicServer({ rules: RULES });
  ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: [batch('refused', 'a key the model API refuses'), batch('leak', 'a model that repeats a token')], prefix: 'nxwa-trust-e2e-', log });
  mkdirSync(join(ws.base, 'claude-config'), { recursive: true });
  // No maxRetries: claude keeps its default retries (CLAUDE_CODE_MAX_RETRIES unset).
  env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
  expect(env.CLAUDE_CODE_MAX_RETRIES).toBeUndefined();
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

test('a refused key with claude\'s default retries fails the batch within 30 s, naming ANTHROPIC_API_KEY', async () => {
  const res = await nx(['run-many', '--targets=ai-generate--refused', STREAM], { CLAUDE_CODE_MAX_RETRIES: undefined });
  expect(res.code).not.toBe(0);
  const result = readResult(ws, 'auth', 'refused');
  expect(result.status).toBe('failed');
  expect(result.durationMs).toBeLessThan(30_000);
  expect(result.error).toMatch(/^claude's credentials were rejected \(HTTP 401: authentication_failed; stopped at claude's first retry/);
  expect(result.error).toMatch(/set a valid ANTHROPIC_API_KEY$/);
  expect(stripAnsi(res.output)).toContain(`[auth:refused] failed: ${result.error}`);
  const requests = server.mainRequests().filter((r) => r.rule === 'refused');
  expect(requests.length).toBeGreaterThanOrEqual(1);
  expect(requests.length).toBeLessThanOrEqual(3);
  expect(requests.every((r) => r.status === 401)).toBe(true);
});

test('a 120-character token the model repeats shows nowhere: terminal output, artifacts, Nx cache, git', async () => {
  expect(TOKEN.length).toBe(120);
  const res = await nx(['run-many', '--targets=ai-generate--leak', STREAM], { GITHUB_TOKEN: TOKEN });
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${stripAnsi(res.output)}`);
  expect(readWorkspaceFile(ws, OUT)).toBe('export const done = true;\n');
  const output = stripAnsi(res.output);
  // The lines that carried it (a text line, a tool call) are there, with the token replaced.
  expect(output).toContain('[auth:leak] › I found the token [redacted:GITHUB_TOKEN] in the environment');
  expect(output).toMatch(/\[auth:leak\] turn 1 · Bash echo \[redacted:GITHUB_TOKEN\]/);
  for (const piece of [TOKEN, TOKEN.slice(0, 12), TOKEN.slice(-12)]) {
    expect({ piece, leaks: leaksOf(piece, { output, dir: join(ws.root, ARTIFACTS_DIR), repo: ws.root }) }).toEqual({ piece, leaks: [] });
    expect({ piece, leaks: leaksOf(piece, { dir: ws.cacheDir }) }).toEqual({ piece, leaks: [] });
  }
});
