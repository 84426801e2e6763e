/**
 * How a run ends, told right, end to end: the packed tarball in a hand-built Nx workspace, the real
 * claude CLI and the scripted Anthropic server (whose request log shows what was asked).
 * - An agent that changes no file (here its one Bash call is refused) fails the batch with status
 *   "empty", is never stored, and so runs again next time; `allowEmpty: true` accepts it.
 * - The placeholder prompt of `nx g nx-worktree-ai:batch` is refused before any model request.
 *
 * The tests share one workspace and run in order. Keep it: NX_WORKTREE_AI_E2E_KEEP=1.
 */
import { existsSync } from 'node:fs';
import { SAMPLE_PROJECTS } from '../testing/fixtures/six-batches';
import { startAnthropicServer, type AnthropicServer, type RequestLogEntry, type ScriptRule } from '../testing/scripted-model/anthropic';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';
import {
  branches,
  commitAll,
  createWorkspace,
  git,
  nxTaskLines,
  readResult,
  resultPath,
  runNx,
  runNxSync,
  stripAnsi,
  writeBatch,
  type BatchDef,
  type NxResult,
  type Workspace,
} from '../testing/workspace';

jest.setTimeout(10 * 60_000);

/** The model asks to write the notes with Bash, which claude's default permissions refuse, then gives up. */
const NOTHING_RULE: ScriptRule = {
  name: 'nothing',
  match: 'SCRIPT:nothing',
  steps: [
    // A program, not a file edit: acceptEdits lets mkdir or echo > through, but not this.
    { bash: `node -e "require('fs').mkdirSync('libs/auth/src/notes', { recursive: true }); require('fs').writeFileSync('libs/auth/src/notes/NOTES.md', '# Notes')"`, say: 'Writing the notes with a script.' },
    { text: 'I could not write the notes: the shell command was not allowed.' },
  ],
};

const NOTHING: BatchDef = {
  project: 'auth',
  name: 'notes',
  frontmatter: { description: 'Release notes', agent: 'claude', outputs: ['src/notes/**'], timeout: '5m', maxTurns: 5 },
  prompt: 'Write release notes for the auth library in src/notes/NOTES.md. SCRIPT:nothing\n',
};

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;

function log(message: string): void {
  process.stdout.write(`[e2e outcomes] ${message}\n`);
}

async function nx(args: string[]): Promise<NxResult & { requests: RequestLogEntry[]; text: string }> {
  const before = server.requests.length;
  const res = await runNx(ws, args, { env: claudeEnv });
  const requests = server.requests.slice(before);
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s, ${requests.length} model request(s)`);
  return { ...res, requests, text: stripAnsi(res.output) };
}

const mainRequests = (requests: RequestLogEntry[]) => requests.filter((r) => r.kind === 'main');
/** The Nx-Worktree-Ai-Status trailer of the tip of `branch`. */
const statusTrailer = (branch: string) => git(ws.root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Status,valueonly)', branch).trim();
const storedResults = () => git(ws.root, 'for-each-ref', '--format=%(refname)', 'refs/nx-worktree-ai/cache/');

beforeAll(async () => {
  server = await startAnthropicServer({ rules: [NOTHING_RULE], delayMs: 100 });
  ws = createWorkspace({ projects: { auth: SAMPLE_PROJECTS.auth }, batches: [NOTHING], prefix: 'nxwa-e2e-outcomes-', log });
  claudeEnv = claudeEnvFor(ws, server.url);
  log(`workspace ${ws.root}`);
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('how a run ends', () => {
  test('an agent that changes no file fails the batch with status "empty", says why, and is asked again next time (no cache hit)', async () => {
    const task = `auth:ai-generate--${NOTHING.name}`;
    const first = await nx(['run', task, '--output-style=static']);
    expect(first.code).not.toBe(0);
    expect(mainRequests(first.requests).length).toBeGreaterThan(0);

    const result = readResult(ws, 'auth', NOTHING.name);
    expect(result).toMatchObject({ status: 'empty', filesChanged: [], branch: 'ai/auth/notes' });
    // What happened and what to do: the transcript, the refused tool, the key that accepts it.
    expect(result.error).toContain('the agent changed no file');
    expect(result.error).toContain('.nx-worktree-ai/auth/notes/transcript.jsonl');
    expect(result.error).toContain('refused Bash');
    expect(result.error).toContain('allowEmpty: true in libs/auth/ai/notes.ai.md');
    expect(first.text).toContain(`[auth:notes] failed: ${result.error}`);
    expect(statusTrailer('ai/auth/notes')).toBe('empty');
    expect(storedResults()).toBe('');

    // Neither Nx's cache nor the plugin's result cache replays it as a success: the agent is asked again.
    const second = await nx(['run', task, '--output-style=static']);
    expect(second.code).not.toBe(0);
    expect(nxTaskLines(second.output).get(task)).toBe('run');
    expect(mainRequests(second.requests).length).toBeGreaterThan(0);
    expect(second.text).not.toContain('replayed');
    expect(readResult(ws, 'auth', NOTHING.name).status).toBe('empty');
  });

  test('with allowEmpty: true the same batch passes, still as status "empty", and is not stored in the result cache', async () => {
    writeBatch(ws, { ...NOTHING, frontmatter: { ...NOTHING.frontmatter, allowEmpty: true } });
    const res = await nx(['run', `auth:ai-generate--${NOTHING.name}`, '--output-style=static']);
    if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.text}`);
    expect(mainRequests(res.requests).length).toBeGreaterThan(0);
    expect(readResult(ws, 'auth', NOTHING.name)).toMatchObject({ status: 'empty', error: null, filesChanged: [] });
    expect(res.text).toContain('[auth:notes] succeeded with no file changed (status "empty"');
    expect(statusTrailer('ai/auth/notes')).toBe('empty');
    expect(storedResults()).toBe('');
  });

  test("the batch generator's placeholder prompt is refused before anything runs: no model request, no worktree, no branch", async () => {
    commitAll(ws, 'notes batch');
    const generated = runNxSync(ws, ['g', 'nx-worktree-ai:batch', 'todo', '--project', 'auth', '--outputs', 'src/todo/**', '--no-interactive']);
    if (generated.code !== 0) throw new Error(`nx g exited with ${generated.code}:\n${generated.output}`);
    const res = await nx(['run', 'auth:ai-generate--todo', '--output-style=static']);
    expect(res.code).not.toBe(0);
    expect(res.requests).toEqual([]);
    expect(res.text).toContain('[auth:todo] refused before anything ran: libs/auth/ai/todo.ai.md still holds the placeholder prompt the batch generator wrote');
    expect(res.text).toContain('replace it with the work for the agent');
    expect(branches(ws)).not.toContain('ai/auth/todo');
    expect(git(ws.root, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
    expect(existsSync(resultPath(ws, 'auth', 'todo'))).toBe(false);
  });
});
