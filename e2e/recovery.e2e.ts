/**
 * Recovery of sparse worktrees end to end against the packed tarball, with the real claude CLI and
 * the scripted Anthropic server: the executor SIGKILLed mid-run, and a worktree kept with
 * --keepWorktree, both cleaned by `nx g nx-worktree-ai:prune`. The branch prune keeps changes only
 * the batch's outputs, and `git merge <branch>`, as prune advises, deletes nothing of the user's.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../testing/scripted-model/anthropic';
import { git } from '../testing/temp';
import { createWorkspace, runNx, stripAnsi, type BatchDef, type NxResult, type ProjectDef, type Workspace } from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const PROJECTS: Record<string, ProjectDef> = {
  app: { root: 'apps/app', files: { 'src/main.ts': 'export {};\n' }, projectJson: { implicitDependencies: ['lib-a'] } },
  'lib-a': { root: 'libs/lib-a', files: { 'src/index.ts': 'export const a = 1;\n' } },
  'lib-b': { root: 'libs/lib-b', files: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`src/file-${i}.ts`, `export const b${i} = ${i};\n`])) },
};
const KILLED: BatchDef = { project: 'app', name: 'killed', frontmatter: { agent: 'claude', outputs: ['src/gen/**'], maxTurns: 5 }, prompt: 'Recovery probe: write, then wait.\n' };
const KEPT: BatchDef = { project: 'app', name: 'kept', frontmatter: { agent: 'claude', outputs: ['src/kept/**'], maxTurns: 5 }, prompt: 'Recovery probe: write and finish.\n' };

let server: AnthropicServer;
let ws: Workspace;
let env: Record<string, string>;
/** The files of a project outside every batch's cone: a sparse checkout never writes them. */
let libB: string;

beforeAll(async () => {
  server = await startAnthropicServer({
    delayMs: 300,
    rules: [
      // The first session writes its output, then the model never answers again: the run is mid-flight.
      { name: 'killed', match: KILLED.prompt.trim(), steps: [{ write: { path: 'apps/app/src/gen/half.ts', content: 'export const half = 1;\n' } }, { hang: { sessions: 1 } }, { text: 'Done.' }] },
      { name: 'kept', match: KEPT.prompt.trim(), steps: [{ write: { path: 'apps/app/src/kept/k.ts', content: 'export const k = 1;\n' } }, { text: 'Done.' }] },
    ],
  });
  ws = createWorkspace({ projects: PROJECTS, batches: [KILLED, KEPT], prefix: 'nxwa-e2e-recovery-' });
  mkdirSync(join(ws.base, 'claude-config'), { recursive: true });
  env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
  libB = git(ws.root, 'ls-files', 'libs/lib-b');
}, 600_000);

afterAll(async () => {
  await server?.close();
  ws?.remove();
});

function expectSuccess(res: NxResult): void {
  if (res.code !== 0) throw new Error(`nx exited with ${res.code}:\n${res.output}`);
}

/** Merges `branch` into the user's branch as prune advises; returns the files the merge deleted. */
function mergeDeletes(branch: string): string[] {
  expect(git(ws.root, 'status', '--porcelain')).toBe('');
  git(ws.root, 'merge', '-q', '--no-edit', branch);
  return git(ws.root, 'diff', '--name-only', '--diff-filter=D', 'ORIG_HEAD', 'HEAD').split('\n').filter(Boolean);
}

const changedBy = (branch: string) => git(ws.root, 'diff', '--name-status', '--no-renames', `${branch}^`, branch).split('\n').filter(Boolean);

test('the executor SIGKILLed mid-run in a sparse worktree, then prune: the kept branch holds the outputs only, merging it deletes nothing', async () => {
  const run = runNx(ws, ['run', 'app:ai-generate--killed', '--sparse=always'], { env, timeoutMs: 180_000 });
  // The model hangs once the agent wrote its file: the executor is mid-run, its record names its pid.
  const runsDir = join(ws.root, '.git', 'nx-worktree-ai', 'runs');
  let owner = 0;
  for (let i = 0; i < 600 && !owner; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (!server.requests.some((r) => r.rule === 'killed' && r.reply === 'hang')) continue;
    const record = readdirSync(runsDir).find((name) => /^\d{8}T\d{6}-\d+-[0-9a-f]+\.json$/.test(name));
    if (record) owner = JSON.parse(readFileSync(join(runsDir, record), 'utf8')).owner.pid;
  }
  expect(owner).toBeGreaterThan(0);
  process.kill(owner, 'SIGKILL');
  expect((await run).code).not.toBe(0);

  const prune = await runNx(ws, ['g', 'nx-worktree-ai:prune', '--no-interactive'], { env });
  expectSuccess(prune);
  const out = stripAnsi(prune.output);
  expect(out).toMatch(/prune cleaned: 1 dead run \(app:killed\); (1 orphaned agent stopped; )?unfinished work kept on ai\/app\/killed/);
  expect(out).toMatch(/Kept 1 branch with work found nowhere else: ai\/app\/killed\. Merge what you want \(git merge <branch>\)/);
  expect(changedBy('ai/app/killed')).toEqual(['A\tapps/app/src/gen/half.ts']);
  expect(mergeDeletes('ai/app/killed')).toEqual([]);
  expect(git(ws.root, 'ls-files', 'libs/lib-b')).toBe(libB);
  expect(readFileSync(join(ws.root, 'apps/app/src/gen/half.ts'), 'utf8')).toBe('export const half = 1;\n');
});

test('a sparse worktree kept with --keepWorktree and worked on, then prune: only the outputs are kept, the rest is named', async () => {
  const res = await runNx(ws, ['run', 'app:ai-generate--kept', '--sparse=always', '--keepWorktree'], { env });
  expectSuccess(res);
  const worktree = /worktree kept at (\S+)/.exec(stripAnsi(res.output))![1];
  git(ws.root, 'add', '-A');
  git(ws.root, 'commit', '-qm', 'take the kept batch');
  // Someone goes on in the kept worktree: one more output, and a file outside the outputs.
  writeFileSync(join(worktree, 'apps/app/src/kept/more.ts'), 'export const more = 2;\n');
  writeFileSync(join(worktree, 'apps/app/notes.txt'), 'not an output\n');

  const prune = await runNx(ws, ['g', 'nx-worktree-ai:prune', '--no-interactive'], { env });
  expectSuccess(prune);
  const out = stripAnsi(prune.output);
  expect(out).toContain(`kept uncommitted changes of ${worktree} on branch ai/app/kept`);
  expect(out).toContain("not carried onto ai/app/kept: 1 changed path(s) outside the batch's outputs (apps/app/notes.txt)");
  expect(changedBy('ai/app/kept')).toEqual(['A\tapps/app/src/kept/more.ts']);
  expect(mergeDeletes('ai/app/kept')).toEqual([]);
  expect(git(ws.root, 'ls-files', 'libs/lib-b')).toBe(libB);
});
