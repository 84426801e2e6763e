/**
 * The OS sandbox (bubblewrap) end to end: the packed tarball in a hand-built Nx workspace, the real
 * claude CLI against the scripted model, and `agent: command` programs.
 *
 * - The user keeps working while two slow batches run (edits, a new file, a commit, git's own
 *   maintenance): both batches succeed, their files are applied, the user's work is all kept.
 * - An agent that writes into the workspace by absolute path (a command program, claude's Bash in
 *   bypassPermissions): the file never appears, the batch fails naming the path, nothing is applied.
 * - The same write with `sandbox: off` is still caught by the integrity check, as before.
 *
 * Needs bwrap (`.ci/run` installs bubblewrap); the suite says so and fails without it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startAnthropicServer, type AnthropicServer, type ScriptRule } from '../testing/scripted-model/anthropic';
import { branches, commitAll, createWorkspace, git, readResult, readWorkspaceFile, runNx, stripAnsi, writeBatch, type BatchDef, type NxResult, type Workspace } from '../testing/workspace';
import { claudeEnvFor, removeUnlessKept } from '../testing/e2e';

jest.setTimeout(10 * 60_000);

const PROJECT = 'app';
const ROOT = 'apps/app';

let server: AnthropicServer;
let ws: Workspace;
let claudeEnv: Record<string, string>;

function log(message: string): void {
  process.stdout.write(`[e2e sandbox] ${message}\n`);
}

const batch = (name: string, frontmatter: Record<string, unknown>, prompt: string): BatchDef => ({ project: PROJECT, name, frontmatter, prompt });

/** Each slow batch writes its file, then waits in a Bash sleep so the user has time to work meanwhile. */
const SLOW_A = batch('slow-a', { outputs: ['src/a/**'], maxTurns: 6, claude: { allowedTools: ['Bash(sleep:*)'] } }, 'Slow batch A: write src/a/a.ts.');
// B also commits its work inside the worktree: git needs objects and its branch ref, which the sandbox allows.
const SLOW_B = batch('slow-b', { outputs: ['src/b/**'], maxTurns: 6, claude: { allowedTools: ['Bash(git:*)', 'Bash(sleep:*)'] } }, 'Slow batch B: write src/b/b.ts and commit it.');

/** The command program: writes its output, then tries the path named in its prompt; reports and exits 0 either way. */
const PLANT_SCRIPT = `const fs = require('fs');
const prompt = fs.readFileSync(process.argv[2], 'utf8');
const [, target, folder] = /PLANT (\\S+) FROM (\\S+)/.exec(prompt);
fs.mkdirSync(folder, { recursive: true });
fs.writeFileSync(folder + '/ok.ts', 'export const ok = 1;\\n');
try {
  fs.writeFileSync(target, 'planted\\n');
  console.log('wrote ' + target);
} catch (error) {
  console.error(error.message);
}
`;

/** Writes `<name>/ok.ts` under the project's src (its outputs), then tries `target`. */
const plantBatch = (name: string, target: string, extra: Record<string, unknown> = {}) =>
  batch(name, { agent: 'command', command: ['node', 'scripts/plant.js', '{promptFile}'], outputs: [`src/${name}/**`], ...extra }, `PLANT ${target} FROM ${ROOT}/src/${name}`);

function rules(): ScriptRule[] {
  return [
    { name: 'slow-a', match: 'Slow batch A', steps: [{ write: { path: `${ROOT}/src/a/a.ts`, content: 'export const a = 1;\n' } }, { bash: 'sleep 6' }, { text: 'Done A.' }] },
    {
      name: 'slow-b',
      match: 'Slow batch B',
      steps: [{ write: { path: `${ROOT}/src/b/b.ts`, content: 'export const b = 2;\n' } }, { bash: 'git add -A && git commit -q -m "agent wip" && sleep 6' }, { text: 'Done B.' }],
    },
    {
      name: 'bash-escape',
      match: 'Bash escape',
      steps: [{ write: { path: `${ROOT}/src/escape/e.ts`, content: 'export const e = 1;\n' } }, { bash: `echo x > ${'${WS}'}/planted-by-bash` }, { text: 'Done.' }],
    },
  ];
}

async function nx(args: string[], env: Record<string, string> = {}): Promise<NxResult> {
  const res = await runNx(ws, args, { env: { ...claudeEnv, ...env } });
  log(`nx ${args.join(' ')} -> exit ${res.code} in ${(res.durationMs / 1000).toFixed(1)} s`);
  return res;
}

beforeAll(async () => {
  const bwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']);
  if (bwrap.status !== 0) throw new Error('bwrap (bubblewrap) is needed for the sandbox e2e: apt-get install bubblewrap (.ci/run does)');
  ws = createWorkspace({
    projects: { [PROJECT]: { root: ROOT, files: { 'src/index.ts': 'export const app = 0;\n' } } },
    files: { 'scripts/plant.js': PLANT_SCRIPT, 'README.md': '# Workspace\n' },
    prefix: 'nxwa-e2e-sandbox-',
    log,
  });
  // The Bash step names the workspace by its absolute path.
  server = await startAnthropicServer({ rules: rules().map((r) => ({ ...r, steps: r.steps.map((s) => ('bash' in s ? { bash: s.bash.replace('${WS}', ws.root) } : s)) })), delayMs: 300 });
  claudeEnv = claudeEnvFor(ws, server.url);
}, 600_000);

afterAll(async () => {
  await server?.close();
  removeUnlessKept(ws, log);
});

describe('agents confined by the OS sandbox', () => {
  test('two slow batches succeed while the user edits, adds and commits in the workspace; all of it is kept', async () => {
    writeBatch(ws, SLOW_A);
    writeBatch(ws, SLOW_B);
    commitAll(ws, 'two slow batches');

    const run = nx(['run-many', '-t', 'ai-generate', '--parallel', '2', '--output-style=stream']);
    // Work while both agents are in their sleep: each has made its second model request by then.
    const started = Date.now();
    while (server.mainRequests().filter((r) => r.rule === 'slow-a' || r.rule === 'slow-b').length < 4) {
      if (Date.now() - started > 120_000) throw new Error('the slow batches never reached their sleep');
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(join(ws.root, 'README.md'), '# Workspace\n\nEdited by the user during the run.\n');
    writeFileSync(join(ws.root, 'NOTES.md'), 'notes written during the run\n');
    mkdirSync(join(ws.root, 'docs'), { recursive: true });
    writeFileSync(join(ws.root, 'docs/change.md'), 'committed during the run\n');
    git(ws.root, 'add', 'docs/change.md');
    git(ws.root, 'commit', '-q', '-m', 'user commit during the run');
    const userCommit = git(ws.root, 'rev-parse', 'HEAD').trim();
    // git's own maintenance writes .git/info/refs.
    mkdirSync(join(ws.root, '.git', 'info'), { recursive: true });
    git(ws.root, 'update-server-info');

    const res = await run;
    const output = stripAnsi(res.output);
    if (res.code !== 0) throw new Error(`run-many failed:\n${output}`);
    expect(output).toContain('· sandboxed');
    expect(readResult(ws, PROJECT, 'slow-a').status).toBe('succeeded');
    expect(readResult(ws, PROJECT, 'slow-b').status).toBe('succeeded');
    expect(readWorkspaceFile(ws, `${ROOT}/src/a/a.ts`)).toBe('export const a = 1;\n');
    expect(readWorkspaceFile(ws, `${ROOT}/src/b/b.ts`)).toBe('export const b = 2;\n');
    expect(readWorkspaceFile(ws, 'README.md')).toBe('# Workspace\n\nEdited by the user during the run.\n');
    expect(readWorkspaceFile(ws, 'NOTES.md')).toBe('notes written during the run\n');
    expect(git(ws.root, 'rev-parse', 'HEAD').trim()).toBe(userCommit);
    expect(git(ws.root, 'log', '-1', '--format=%s').trim()).toBe('user commit during the run');
    // The agent's own commit inside its worktree left a branch whose objects the repository has.
    expect(git(ws.root, 'fsck', '--connectivity-only', '--no-dangling').trim()).toBe('');
    expect(branches(ws)).toContain(`ai/${PROJECT}/slow-b`);
  });

  test('a command agent that writes into the workspace by absolute path is refused: the file never appears, the batch fails naming it', async () => {
    commitAll(ws, 'before the command escape');
    const target = join(ws.root, 'planted-by-command');
    writeBatch(ws, plantBatch('plant', target));
    commitAll(ws, 'plant batch');

    const res = await nx(['run', `${PROJECT}:ai-generate--plant`]);
    const output = stripAnsi(res.output);
    expect(res.code).not.toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(output).toContain(`tried to write ${target} (refused by the sandbox)`);
    expect(existsSync(join(ws.root, ROOT, 'src/plant/ok.ts'))).toBe(false);
    const result = readResult(ws, PROJECT, 'plant');
    expect(result.status).toBe('failed');
    expect(result.error).toContain(target);
    // The agent's work (its one legitimate file) is on its branch.
    expect(git(ws.root, 'show', `ai/${PROJECT}/plant:${ROOT}/src/plant/ok.ts`)).toBe('export const ok = 1;');
  });

  test('claude in bypassPermissions running `echo x > <workspace>/file` through Bash is refused the same way', async () => {
    writeBatch(ws, batch('bash-escape', { outputs: ['src/escape/**'], maxTurns: 5, claude: { permissionMode: 'bypassPermissions' } }, 'Bash escape: write a file.'));
    commitAll(ws, 'bash escape batch');
    const target = join(ws.root, 'planted-by-bash');

    const res = await nx(['run', `${PROJECT}:ai-generate--bash-escape`]);
    const output = stripAnsi(res.output);
    expect(res.code).not.toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(output).toContain(`tried to write ${target} (refused by the sandbox)`);
    expect(existsSync(join(ws.root, ROOT, 'src/escape/e.ts'))).toBe(false);
    expect(readResult(ws, PROJECT, 'bash-escape').status).toBe('failed');
  });

  test('with sandbox: off the same write lands, and the integrity check still catches it and applies nothing', async () => {
    const target = join(ws.root, 'planted-unconfined');
    writeBatch(ws, plantBatch('plant-off', target, { sandbox: 'off' }));
    commitAll(ws, 'unconfined plant batch');

    const res = await nx(['run', `${PROJECT}:ai-generate--plant-off`]);
    const output = stripAnsi(res.output);
    expect(res.code).not.toBe(0);
    expect(output).not.toContain('· sandboxed');
    expect(output).toContain('created planted-unconfined in the workspace');
    expect(readFileSync(target, 'utf8')).toBe('planted\n');
    expect(existsSync(join(ws.root, ROOT, 'src/plant-off/ok.ts'))).toBe(false);
    expect(readResult(ws, PROJECT, 'plant-off').status).toBe('failed');
  });

  test('the dry run shows the sandboxed command line and what the agent may write', async () => {
    const res = await nx(['run', `${PROJECT}:ai-generate--slow-a`, '--dry-run', '--skip-nx-cache', '--sandbox=required']);
    const output = stripAnsi(res.output);
    if (res.code !== 0) throw new Error(`dry run failed:\n${output}`);
    const sandboxLine = output.split('\n').find((l) => l.includes(' sandbox ') && l.includes('bubblewrap'));
    expect(sandboxLine).toContain('everything else is read-only to it');
    const argvLine = output.split('\n').find((l) => l.includes(' sandboxed '));
    const argv = JSON.parse(argvLine!.slice(argvLine!.indexOf(' sandboxed ') + ' sandboxed '.length).trim()) as string[];
    expect(argv[0]).toMatch(/bwrap$/);
    expect(argv.slice(1, 4)).toEqual(['--ro-bind', '/', '/']);
    expect(argv).toContain('--die-with-parent');
    expect(argv[argv.indexOf('--') + 1]).toMatch(/claude$/);
    // The workspace itself is never bound writable.
    const binds = argv.flatMap((a, i) => (a === '--bind' ? [argv[i + 1]] : []));
    expect(binds.some((b) => b === ws.root)).toBe(false);
    expect(binds.some((b) => b.includes('/worktrees/'))).toBe(true);
  });
});
