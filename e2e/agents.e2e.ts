/**
 * The three CLIs that run for real here (claude, codex, gemini), end to end: a hand-built Nx workspace
 * that installed the packed tarball (dist/nx-worktree-ai.tgz), one batch per CLI in the three sample
 * projects, and a scripted model server per CLI in this process (testing/scripted-model: Messages
 * API, Responses API through a codex custom provider, Gemini API). Each scripted reply is a real tool
 * call, so each CLI really edits its worktree.
 *
 *   auth:auth-module               claude  (ANTHROPIC_BASE_URL)
 *   dashboard:dashboard-scaffold   codex   (codex.config: a custom model provider)
 *   api:api-routes                 gemini  (GOOGLE_GEMINI_BASE_URL)
 *
 * Then per CLI the failure modes: 401, 429 once, 500, and a hang killed at the batch timeout with no
 * process left behind. The tests share one workspace and run in order.
 * Keep the workspace for inspection: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { API_ROUTES, AUTH_MODULE, batchId, DASHBOARD_SCAFFOLD, SAMPLE_PROJECTS, type FixtureBatch } from '../testing/fixtures/six-batches';
import { claudeTestEnv, startAnthropicServer, type RequestLogEntry, type ScriptRule } from '../testing/scripted-model/anthropic';
import type { ScriptedServer } from '../testing/scripted-model/common';
import { geminiTestEnv, startGeminiServer } from '../testing/scripted-model/gemini';
import { codexProviderConfig, codexTestEnv, startResponsesServer } from '../testing/scripted-model/responses';
import { removeUnlessKept } from '../testing/e2e';
import {
  artifactsDir,
  commitAll,
  createWorkspace,
  nxTaskLines,
  readResult,
  readWorkspaceFile,
  runNx,
  stripAnsi,
  writeBatch,
  type BatchDef,
  type NxResult,
  type Workspace,
} from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const TARGET = 'ai-generate';
type Agent = 'claude' | 'codex' | 'gemini';
const AGENTS: Agent[] = ['claude', 'codex', 'gemini'];

/** A running CLI of this agent (not Nx, whose command line names the targets). */
const CLI_PROCESS: Record<Agent, RegExp> = {
  claude: /\s-p\s+--output-format\s+stream-json\b/,
  codex: /\bexec\s+--json\b/,
  gemini: /\s-o\s+stream-json\s+--approval-mode\b/,
};

/** Which project plays which CLI, and the credential its failure message must name. */
const PLAYS: Record<Agent, { project: string; credential: string; hangTimeout: string }> = {
  claude: { project: 'auth', credential: 'ANTHROPIC_API_KEY', hangTimeout: '6s' },
  codex: { project: 'dashboard', credential: 'CODEX_API_KEY', hangTimeout: '6s' },
  // gemini needs ~3-4 s to start on a busy 2-core machine before its first request.
  gemini: { project: 'api', credential: 'GEMINI_API_KEY', hangTimeout: '12s' },
};

let ws: Workspace;
let servers: Record<Agent, ScriptedServer>;
let env: Record<string, string>;
/** Every process the Nx runs start inherits it: how the process table is searched for leftovers. */
const MARKER = `nxwa-agents-e2e-${randomBytes(6).toString('hex')}`;

function log(message: string): void {
  process.stdout.write(`[e2e:agents] ${message}\n`);
}

/** The batch each CLI runs: the sample batch of its project, with the agent (and its settings) set. */
function agentBatch(agent: Agent, batch: FixtureBatch): FixtureBatch {
  const frontmatter: Record<string, unknown> = { ...batch.frontmatter, agent };
  if (agent === 'codex') Object.assign(frontmatter, { model: 'gpt-5.5', codex: { config: codexProviderConfig(servers.codex.url, { maxRetries: 1 }) } });
  if (agent === 'gemini') frontmatter.model = 'gemini-2.5-pro';
  return { ...batch, frontmatter };
}

let BATCHES: Record<Agent, FixtureBatch>;

async function nx(args: string[], watch?: () => void): Promise<NxResult & { requests: Record<Agent, RequestLogEntry[]> }> {
  const before = Object.fromEntries(AGENTS.map((a) => [a, servers[a].requests.length])) as Record<Agent, number>;
  const timer = watch ? setInterval(watch, 200) : undefined;
  const res = await runNx(ws, args, { env: { ...env, NXWA_E2E_MARKER: MARKER } }).finally(() => clearInterval(timer));
  const requests = Object.fromEntries(AGENTS.map((a) => [a, servers[a].requests.slice(before[a]).filter((r) => r.kind !== 'blocked')])) as Record<Agent, RequestLogEntry[]>;
  const counts = AGENTS.map((a) => `${a} ${requests[a].length}`).join(', ');
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s; model requests: ${counts}`);
  return { ...res, requests };
}

function expectSuccess(res: NxResult): void {
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${stripAnsi(res.output)}`);
}

/**
 * The lines a task printed with its `[project:batch]` prefix. Runs use --output-style=stream (in CI
 * mode Nx would print only failed tasks' output), which puts `<project>: ` before every line.
 */
function taskLines(output: string, label: string): string[] {
  return stripAnsi(output)
    .split('\n')
    .map((l) => l.trim().replace(/^\S+:\s+(?=\[)/, ''))
    .filter((l) => l.startsWith(`[${label}]`));
}

const STREAM = '--output-style=stream';

function expectFiles(batch: FixtureBatch): void {
  for (const [path, content] of Object.entries(batch.expectedFiles)) {
    expect({ path, exists: existsSync(join(ws.root, path)) }).toEqual({ path, exists: true });
    expect({ path, content: readWorkspaceFile(ws, path) }).toEqual({ path, content });
  }
}

// ---- the process table -----------------------------------------------------------------------

interface Proc {
  pid: number;
  cmd: string;
}

/** Processes started by the Nx runs of this file (they carry MARKER in their environment), or running in its worktrees. */
function leftoverProcesses(): Proc[] {
  if (!existsSync('/proc/self/environ')) return [];
  const found: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // gone or not ours
      }
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (environ.includes(`NXWA_E2E_MARKER=${MARKER}`) || cwd.startsWith(ws.tmpDir) || cmd.includes(ws.tmpDir)) found.push({ pid, cmd });
    } catch {
      // exited meanwhile, or another user's process
    }
  }
  return found;
}

async function expectNoProcessLeft(): Promise<void> {
  let left = leftoverProcesses();
  // Zombies are reaped by init a moment after their parent exits.
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    left = leftoverProcesses();
  }
  expect(left).toEqual([]);
}

// ---- setup -----------------------------------------------------------------------------------

beforeAll(async () => {
  const rules = (): ScriptRule[] => [AUTH_MODULE, DASHBOARD_SCAFFOLD, API_ROUTES].map((b) => b.rule).concat(failureRules());
  servers = {
    claude: await startAnthropicServer({ rules: rules() }),
    codex: await startResponsesServer({ rules: rules() }),
    gemini: await startGeminiServer({ rules: rules() }),
  };
  BATCHES = { claude: agentBatch('claude', AUTH_MODULE), codex: agentBatch('codex', DASHBOARD_SCAFFOLD), gemini: agentBatch('gemini', API_ROUTES) };
  ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: AGENTS.map((a) => BATCHES[a]), prefix: 'nxwa-agents-e2e-', log });
  for (const d of ['claude-config', 'codex-home', 'gemini-home']) mkdirSync(join(ws.base, d), { recursive: true });
  env = {
    ...claudeTestEnv(servers.claude.url, join(ws.base, 'claude-config'), { maxRetries: 1 }),
    ...codexTestEnv(servers.codex.url, join(ws.base, 'codex-home'), { proxySink: false }),
    ...geminiTestEnv(servers.gemini.url, join(ws.base, 'gemini-home'), { maxAttempts: 2, proxySink: false }),
  };
  log(`workspace ${ws.root} (total ${(ws.timings.total / 1000).toFixed(1)} s)`);
}, 600_000);

afterAll(async () => {
  for (const server of Object.values(servers ?? {})) await server.close();
  removeUnlessKept(ws, log);
});

describe('claude, codex and gemini for real, one batch each', () => {
  test('run-many: each CLI edits its worktree, the results are applied, result.json has tokens and the session', async () => {
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '3', STREAM]);
    expectSuccess(res);
    const output = stripAnsi(res.output);
    for (const agent of AGENTS) {
      const batch = BATCHES[agent];
      // Each server heard only its own CLI's batch.
      expect({ agent, rules: [...new Set(res.requests[agent].filter((r) => r.kind === 'main').map((r) => r.rule))] }).toEqual({ agent, rules: [batch.rule.name] });
      expectFiles(batch);

      const r = readResult(ws, batch.project, batch.name);
      expect(r).toMatchObject({ status: 'succeeded', agent, error: null, branch: `ai/${batch.project}/${batch.name}` });
      expect(typeof r.agentVersion).toBe('string');
      expect(typeof r.sessionId).toBe('string');
      expect(r.tokens).toEqual({ input: expect.any(Number), output: expect.any(Number), cacheRead: expect.any(Number), cacheWrite: agent === 'gemini' ? null : expect.any(Number) });
      expect(r.tokens!.input! + r.tokens!.output!).toBeGreaterThan(0);
      // Only claude reports a cost; the others' stays null, never made up.
      if (agent === 'claude') expect(r.costUsd).toEqual(expect.any(Number));
      else expect(r.costUsd).toBeNull();
      expect(r.turns).toBeGreaterThanOrEqual(2);
      expect([...r.filesChanged].sort()).toEqual(Object.keys(batch.expectedFiles).sort());
      expect(readFileSync(join(artifactsDir(ws, batch.project, batch.name), 'transcript.jsonl'), 'utf8').length).toBeGreaterThan(0);

      // Progress in the common format, with the CLI's own tool names.
      const lines = taskLines(output, batchId(batch));
      expect(lines.some((l) => l.startsWith(`[${batchId(batch)}] turn 1 · `))).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`^\\[${batchId(batch)}\\] succeeded · \\d+ turns · `));
    }
    // The sessions the servers saw are the ones result.json names.
    expect(new Set(res.requests.claude.filter((r) => r.kind === 'main').map((r) => r.session))).toEqual(new Set([readResult(ws, 'auth', AUTH_MODULE.name).sessionId]));
    expect(new Set(res.requests.codex.filter((r) => r.kind === 'main').map((r) => r.session))).toEqual(new Set([readResult(ws, 'dashboard', DASHBOARD_SCAFFOLD.name).sessionId]));
    const codexLines = taskLines(output, batchId(BATCHES.codex));
    expect(codexLines).toContain(`[${batchId(BATCHES.codex)}] turn 1 · apply_patch add apps/dashboard/src/app/routes.ts`);
    expect(codexLines).toContain(`[${batchId(BATCHES.codex)}] warning: codex has no turn limit: maxTurns 10 is not enforced (the timeout still is)`);
    expect(taskLines(output, batchId(BATCHES.gemini)).some((l) => l.includes('· write_file apps/api/src/'))).toBe(true);
    commitAll(ws, 'outputs of the three agents');
  });

  test('the same run again asks no model: Nx cache, then (after nx reset) the plugin result cache', async () => {
    const again = await nx(['run-many', '-t', TARGET, '--parallel', '3']);
    expectSuccess(again);
    for (const agent of AGENTS) expect({ agent, requests: again.requests[agent] }).toEqual({ agent, requests: [] });
    const tasks = nxTaskLines(again.output);
    for (const agent of AGENTS) expect(tasks.get(`${BATCHES[agent].project}:${TARGET}--${BATCHES[agent].name}`)).toBe('cache');

    expectSuccess(await runNx(ws, ['reset'], { env }));
    const replay = await nx(['run-many', '-t', TARGET, '--parallel', '3']);
    expectSuccess(replay);
    for (const agent of AGENTS) {
      const batch = BATCHES[agent];
      expect({ agent, requests: replay.requests[agent] }).toEqual({ agent, requests: [] });
      expect(readResult(ws, batch.project, batch.name)).toMatchObject({ status: 'replayed', agent });
      expectFiles(batch);
    }
  });

  test('--resume continues each CLI session (claude --resume, codex exec resume, gemini --session-file): the scripts go on, not again', async () => {
    const before = Object.fromEntries(AGENTS.map((a) => [a, readResult(ws, BATCHES[a].project, BATCHES[a].name).sessionId])) as Record<Agent, string>;
    const res = await nx(['run-many', '-t', TARGET, '--parallel', '3', '--resume', '--skip-nx-cache', STREAM]);
    expectSuccess(res);
    for (const agent of AGENTS) {
      const batch = BATCHES[agent];
      const main = res.requests[agent].filter((r) => r.kind === 'main');
      // Past the end of its script: the closing "Done" answer, no tool call replayed.
      expect({ agent, replies: main.map((r) => r.reply) }).toEqual({ agent, replies: ['done'] });
      const r = readResult(ws, batch.project, batch.name);
      expect(r).toMatchObject({ status: 'succeeded', agent });
      // gemini continues a session loaded from its file under a new id; the others keep theirs.
      if (agent === 'gemini') expect(r.sessionId).toEqual(expect.any(String));
      else expect(r.sessionId).toBe(before[agent]);
      expect(taskLines(res.output, batchId(batch))).toContain(`[${batchId(batch)}] resuming session ${before[agent]}`);
      expectFiles(batch);
    }
    expect(main(res.requests.claude)[0].session).toBe(before.claude);
    expect(main(res.requests.codex)[0].session).toBe(before.codex);
  });
});

function main(requests: RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.kind === 'main');
}

// ---- failure modes ----------------------------------------------------------------------------

type Mode = '401' | '429' | '500' | 'hang';
const MODES: Mode[] = ['401', '429', '500', 'hang'];

const failureName = (agent: Agent, mode: Mode) => `${agent}-${mode}`;
const failureMatch = (agent: Agent, mode: Mode) => `SCRIPT:${failureName(agent, mode)}.`;
const okFile = (agent: Agent) => `${SAMPLE_PROJECTS[PLAYS[agent].project].root}/src/failures/${failureName(agent, '429')}/ok.txt`;

function failureRules(): ScriptRule[] {
  return AGENTS.flatMap((agent): ScriptRule[] => [
    { name: failureName(agent, '401'), match: failureMatch(agent, '401'), steps: [{ error: { status: 401 } }] },
    {
      name: failureName(agent, '429'),
      match: failureMatch(agent, '429'),
      steps: [{ error: { status: 429, times: 1, retryAfterSeconds: 0 } }, { write: { path: okFile(agent), content: 'after one retry\n' } }, { text: 'Done after one retry.' }],
    },
    { name: failureName(agent, '500'), match: failureMatch(agent, '500'), steps: [{ error: { status: 500 } }] },
    { name: failureName(agent, 'hang'), match: failureMatch(agent, 'hang'), steps: [{ hang: true }] },
  ]);
}

function failureBatch(agent: Agent, mode: Mode): BatchDef {
  const base = BATCHES[agent].frontmatter;
  const frontmatter: Record<string, unknown> = {
    description: `${agent} against a model API that answers ${mode}`,
    agent,
    ...(base.model ? { model: base.model } : {}),
    ...(base.codex ? { codex: base.codex } : {}),
    outputs: [`src/failures/${failureName(agent, mode)}/**`],
    timeout: mode === 'hang' ? PLAYS[agent].hangTimeout : '2m',
    maxTurns: 5,
  };
  return { project: PLAYS[agent].project, name: failureName(agent, mode), frontmatter, prompt: `Write the file. ${failureMatch(agent, mode)}\n` };
}

describe.each(AGENTS)('%s against a failing model API', (agent) => {
  const label = (mode: Mode) => `${PLAYS[agent].project}:${failureName(agent, mode)}`;
  let res: NxResult & { requests: Record<Agent, RequestLogEntry[]> };
  const seen = new Map<number, string>();

  beforeAll(async () => {
    for (const mode of MODES) writeBatch(ws, failureBatch(agent, mode));
    commitAll(ws, `${agent} failure batches`);
    const targets = MODES.map((m) => `${TARGET}--${failureName(agent, m)}`).join(',');
    // While it runs, note the CLI processes it starts (to show the check below can see them).
    res = await nx(['run-many', `--targets=${targets}`, '--parallel', '4', STREAM], () => {
      for (const p of leftoverProcesses()) if (CLI_PROCESS[agent].test(p.cmd)) seen.set(p.pid, p.cmd);
    });
  });

  const rule = (mode: Mode) => res.requests[agent].filter((r) => r.kind === 'main' && r.rule === failureName(agent, mode));

  afterAll(() => {
    for (const mode of MODES) log(`last line: ${taskLines(res?.output ?? '', label(mode)).at(-1)}`);
  });

  test('401: the batch fails and its last line names the credential to set', () => {
    expect(res.code).not.toBe(0);
    const r = readResult(ws, PLAYS[agent].project, failureName(agent, '401'));
    expect(r.status).toBe('failed');
    expect(r.error).toContain(PLAYS[agent].credential);
    const last = taskLines(res.output, label('401')).at(-1);
    expect(last).toMatch(new RegExp(`^\\[${label('401')}\\] failed: ${agent}(?:'s credentials were rejected| is not logged in)`));
    expect(last).toContain(`set a valid ${PLAYS[agent].credential}`);
    expect(rule('401').length).toBeGreaterThanOrEqual(1);
    expect(rule('401').every((r) => r.status === 401)).toBe(true);
  });

  test('429 once, then success: the CLI retries once and the batch succeeds', () => {
    const r = readResult(ws, PLAYS[agent].project, failureName(agent, '429'));
    expect(r).toMatchObject({ status: 'succeeded', error: null, filesChanged: [okFile(agent)] });
    expect(readWorkspaceFile(ws, okFile(agent))).toBe('after one retry\n');
    expect(rule('429').map((q) => q.status)).toEqual([429, 200, 200]);
    expect(taskLines(res.output, label('429')).at(-1)).toMatch(new RegExp(`^\\[${label('429')}\\] succeeded`));
    // claude and codex report the retry in their stream; gemini only on stderr.
    if (agent !== 'gemini') expect(taskLines(res.output, label('429'))).toContain(`[${label('429')}] retry 1 (HTTP 429)`);
  });

  test('500: the batch fails with the API error', () => {
    const r = readResult(ws, PLAYS[agent].project, failureName(agent, '500'));
    expect(r.status).toBe('failed');
    const last = taskLines(res.output, label('500')).at(-1)!;
    expect(last).toMatch(new RegExp(`^\\[${label('500')}\\] failed: ${agent} failed with an API error \\(HTTP 5`));
    // codex words every 5xx "high demand" without the status; the others give it.
    expect(last).toContain(agent === 'codex' ? 'high demand' : 'HTTP 500');
    expect(r.error).toBe(last.slice(`[${label('500')}] failed: `.length));
    expect(rule('500').every((q) => q.status === 500)).toBe(true);
  });

  test('a hang: killed at the timeout, and no process is left', async () => {
    const r = readResult(ws, PLAYS[agent].project, failureName(agent, 'hang'));
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(new RegExp(`^${agent} was killed after ${PLAYS[agent].hangTimeout}`));
    expect(rule('hang').map((q) => q.reply)).toEqual(['hang']);
    const timeoutMs = parseInt(PLAYS[agent].hangTimeout, 10) * 1000;
    expect(r.durationMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(r.durationMs).toBeLessThan(timeoutMs + 30_000);
    if (existsSync('/proc/self/environ')) {
      expect(seen.size).toBeGreaterThan(0);
      await expectNoProcessLeft();
    }
    log(`${agent}: ${seen.size} ${agent} process(es) seen during the run, none left after it`);
  });
});
