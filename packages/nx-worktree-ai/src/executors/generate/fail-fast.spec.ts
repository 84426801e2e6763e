import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { captureConsoleEachTest, executorContext } from '@testing/executor';
import type { ScriptedServer } from '@testing/scripted-model/common';
import { codexProviderConfig, startResponsesServer } from '@testing/scripted-model/responses';
import { gitRepo, removeDir, tempDir } from '@testing/temp';
import generateExecutor from './executor';
import type { BatchResult } from '../../results/result';

/**
 * Failing fast with the REAL codex CLI and its default retries: a provider whose key is refused
 * (401) stops at codex's first retry and the message names the provider's env_key, not
 * CODEX_API_KEY; a provider whose endpoint refuses connections stops after a few failed
 * connections (codex would wait for the batch timeout) and the message names its base URL.
 */
jest.setTimeout(180_000);

const ENV_KEY = 'SCRIPTED_PROVIDER_KEY';
let server: ScriptedServer;
const logged = captureConsoleEachTest();
let root: string;
let worktreeDir: string;
let codexHome: string;
let childTmp: string;
const savedEnv = { ...process.env };

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** codex against `url` with the provider's default retries (none of the test helpers' limits). */
function codexBatch(url: string): string {
  const config = codexProviderConfig(url);
  const provider: Record<string, unknown> = { ...(config['model_providers.scripted'] as Record<string, unknown>), env_key: ENV_KEY };
  delete provider.request_max_retries;
  delete provider.stream_max_retries;
  const frontmatter = { agent: 'codex', model: 'gpt-5.5', outputs: ['src/**'], timeout: '5m', codex: { config: { model_provider: 'scripted', 'model_providers.scripted': provider } } };
  return `---\n${Object.entries(frontmatter).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n')}\n---\nWrite the file. SCRIPT:401\n`;
}

beforeAll(async () => {
  server = await startResponsesServer({ rules: [{ name: 'auth-fail', match: 'SCRIPT:401', steps: [{ error: { status: 401 } }] }] });
});
afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  root = gitRepo({
    'libs/a/project.json': '{ "name": "a" }\n',
    'libs/a/ai/refused.ai.md': codexBatch(server.url),
    'libs/a/ai/dead.ai.md': codexBatch(`http://127.0.0.1:${await closedPort()}/v1`),
    '.gitignore': '.nx-worktree-ai/\n',
  });
  worktreeDir = tempDir('nxwa-fail-fast-wt-');
  // codex's sandbox (bubblewrap) fails when CODEX_HOME is inside the child's TMPDIR: keep them apart.
  codexHome = tempDir('nxwa-fail-fast-codex-home-');
  childTmp = tempDir('nxwa-fail-fast-tmp-');
  Object.assign(process.env, { CODEX_HOME: codexHome, [ENV_KEY]: 'refused-key-0123', CODEX_API_KEY: '', OPENAI_API_KEY: '', TMPDIR: childTmp });
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  for (const dir of [root, worktreeDir, codexHome, childTmp]) removeDir(dir);
});

const context = (batch: string) =>
  executorContext(root, { project: 'a', target: `ai-generate--${batch}` });

async function run(batch: string): Promise<BatchResult> {
  await expect(generateExecutor({ batch: `libs/a/ai/${batch}.ai.md`, worktreeDir, resultCache: false }, context(batch))).resolves.toEqual({ success: false });
  return JSON.parse(readFileSync(join(root, '.nx-worktree-ai', 'a', batch, 'result.json'), 'utf8')) as BatchResult;
}

it("a refused key stops codex at its first retry; the message names the provider's env_key", async () => {
  const before = server.mainRequests().length;
  const result = await run('refused');
  expect(result.error).toMatch(/^codex's credentials were rejected \(HTTP 401: .*stopped at codex's first retry/);
  expect(result.error).toContain(`set a valid ${ENV_KEY} (the env_key of model provider "scripted" in the batch's codex config)`);
  expect(result.error).not.toContain('CODEX_API_KEY');
  // codex's own retries (request_max_retries 4 x stream_max_retries 5 by default) were not waited for.
  const requests = server.mainRequests().length - before;
  expect(requests).toBeGreaterThanOrEqual(1);
  expect(requests).toBeLessThanOrEqual(3);
  expect(logged.lines.at(-1)).toBe(`[a:refused] failed: ${result.error}`);
});

it('an endpoint that refuses connections stops codex after a few failures; the message names the base URL', async () => {
  const url = /base_url":"([^"]+)"/.exec(readFileSync(join(root, 'libs/a/ai/dead.ai.md'), 'utf8'))![1];
  const result = await run('dead');
  expect(result.error).toMatch(new RegExp(`^codex cannot reach its model API at ${url.replace(/[.]/g, '\\.')} \\(model provider "scripted"\\): 3 connection failures in a row`));
  expect(result.error).toContain("check base_url in the batch's codex config");
  // The batch timeout is 5m: codex alone would have waited that long.
  expect(result.durationMs).toBeLessThan(60_000);
});
