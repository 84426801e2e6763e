/**
 * "Nobody in": hostile agents, hostile names and a planted secret, for real, in a real Nx workspace
 * built from the packed tarball. Hostile agents are the `command` agent (a node script doing the
 * deed, so the plugin's detection is really exercised) and the real claude CLI against the scripted
 * model server (to show its default permissions and the plugin's deny list refusing).
 *
 * Every hostile batch must fail naming what it did, apply nothing (not even its legitimate output)
 * and keep its work on its branch. Every hostile name or path must be refused before anything runs.
 * A planted secret must appear in no file under .nx-worktree-ai/, no git object or `git log -p --all`,
 * no Nx terminal output and nothing in Nx's cache.
 *
 * data lost = finished agent work that is not on its branch, plus the user's files, index, HEAD or
 * refs destroyed. What the hostile agent itself did and the plugin only reported (a file it created
 * in the workspace, a config key, a checkout) is undone by the row before that comparison; a branch
 * it deleted must have been put back by the plugin.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type ScriptRule } from '../testing/scripted-model/anthropic';
import { leaksOf } from '../testing/leaks';
import {
  createWorkspace,
  diffWorkspaceStates,
  git,
  renderBatchFile,
  runNx,
  snapshotWorkspaceState,
  stripAnsi,
  tryReadResult,
  type BatchDef,
  type NxResult,
  type Workspace,
  type WorkspaceState,
} from '../testing/workspace';
import { recordFault } from './support/record';
import { log } from './support/harness';

jest.setTimeout(10 * 60_000);

const PLANTED = 'sk-planted-FAULT-00112233445566778899';
const DB_URL = 'postgres://admin:fault-db-password@db.internal/prod';
/** Every batch writes only its own folder (overlapping outputs of batches that may run at once are refused). */
const OK_FILE = (name: string) => `libs/auth/src/${name}/ok.ts`;

let ws: Workspace;
let server: AnthropicServer;
let claudeEnv: Record<string, string>;
let marker: string;

interface Verdict {
  problems: string[];
  dataLost: number;
}

/** Everything of the user's: files, index, HEAD (snapshotWorkspaceState), refs outside the plugin's, config, hooks. */
interface UserState {
  files: WorkspaceState;
  refs: string;
  config: string;
  hooks: string;
}

function userState(): UserState {
  return {
    files: snapshotWorkspaceState(ws),
    refs: git(ws.root, 'for-each-ref', '--format=%(refname) %(objectname)')
      .split('\n')
      .filter((l) => l && !/^refs\/(heads\/ai(-kept)?\/|nx-worktree-ai\/)/.test(l))
      .join('\n'),
    config: readFileSync(join(ws.root, '.git/config'), 'utf8'),
    hooks: readdirSync(join(ws.root, '.git/hooks')).sort().join(' '),
  };
}

/** Differences, and how many of them destroy the user's data (a file or ref gone or changed). */
function compare(before: UserState, after: UserState, allowedPrefix: string | null = null): { diffs: string[]; destroyed: number } {
  const diffs = diffWorkspaceStates(before.files, after.files, (p) => allowedPrefix !== null && p.startsWith(allowedPrefix));
  let destroyed = diffs.filter((d) => /^(modified|deleted): |^HEAD |^index changed/.test(d)).length;
  if (before.refs !== after.refs) {
    const gone = before.refs.split('\n').filter((l) => !after.refs.split('\n').includes(l));
    destroyed += gone.length;
    diffs.push(`refs changed: -${gone.join(', -')} +${after.refs.split('\n').filter((l) => !before.refs.split('\n').includes(l)).join(', +')}`);
  }
  if (before.config !== after.config) diffs.push('.git/config changed');
  if (before.hooks !== after.hooks) diffs.push('.git/hooks changed');
  return { diffs, destroyed };
}

/** libs/auth/project.json with options for the inferred ai-generate--ok target (as a user or a hostile change could write them). */
function projectJsonWith(options: Record<string, unknown>): string {
  const json = JSON.parse(readFileSync(join(ws.root, 'libs/auth/project.json'), 'utf8'));
  return `${JSON.stringify({ ...json, targets: { 'ai-generate--ok': { options } } }, null, 2)}\n`;
}

function commitBatch(batch: BatchDef): void {
  const file = join(ws.projects[batch.project].root, 'ai', `${batch.name}.ai.md`);
  mkdirSync(join(ws.root, file, '..'), { recursive: true });
  writeFileSync(join(ws.root, file), renderBatchFile(batch));
  git(ws.root, 'add', file);
  git(ws.root, 'commit', '-qm', `batch ${batch.name}`);
}

/** A command-agent batch: writes its legitimate output, then does `deed` (node, with fs, cp, path in scope). */
function commandBatch(name: string, deed: string, extra: Record<string, unknown> = {}): BatchDef {
  const script = `const fs = require('fs'); const cp = require('child_process'); const path = require('path'); fs.mkdirSync(${JSON.stringify(`libs/auth/src/${name}`)}, { recursive: true }); fs.writeFileSync(${JSON.stringify(OK_FILE(name))}, 'export const ok = 1;\\n'); ${deed}`;
  return { project: 'auth', name, frontmatter: { description: `hostile ${name}`, agent: 'command', command: ['node', '-e', script], outputs: [`src/${name}/**`], ...extra }, prompt: 'Write the module.\n' };
}

/** Each deed on its own, its error printed as an agent's tool would report it (the sandbox refuses them one by one). */
function eachTried(deeds: string[]): string {
  return deeds.map((deed) => `try { ${deed}; } catch (e) { console.error(String(e.stderr || e.message)); }`).join(' ');
}

const UNCONFINED = { sandbox: 'off' };
const refused = (path: string) => new RegExp(`tried to write ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(refused by the sandbox\\)`);

function claudeBatch(name: string, extra: Record<string, unknown> = {}): BatchDef {
  return { project: 'auth', name, frontmatter: { agent: 'claude', maxTurns: 12, outputs: [`src/${name}/**`], ...extra }, prompt: `SCRIPT:${name}: write the module.\n` };
}

async function nx(args: string[], env: Record<string, string> = {}): Promise<NxResult> {
  const res = await runNx(ws, [...args, '--output-style=static'], { env: { ...claudeEnv, ...env }, timeoutMs: 5 * 60_000 });
  const dir = join(ws.base, 'logs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${Date.now()}-${args.join('_').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.log`), res.output);
  return res;
}

/**
 * Runs a hostile batch through Nx: it must fail, name every `named` finding in the Nx output and
 * result.json, apply nothing and keep its work on its branch; `undo` reverts what only was reported.
 */
async function hostile(batch: BatchDef, named: RegExp[], opts: { undo?: () => void; expectSuccess?: boolean } = {}): Promise<Verdict> {
  commitBatch(batch);
  const before = userState();
  const res = await nx(['run', `auth:ai-generate--${batch.name}`]);
  const output = stripAnsi(res.output);
  const problems: string[] = [];
  const result = tryReadResult(ws, 'auth', batch.name);
  if (opts.expectSuccess) {
    if (res.code !== 0) problems.push(`expected success, nx exited ${res.code}`);
  } else {
    if (res.code === 0) problems.push('the batch succeeded');
    if (result?.status !== 'failed') problems.push(`result.json status ${result?.status}`);
    if (existsSync(join(ws.root, OK_FILE(batch.name)))) problems.push(`its output ${OK_FILE(batch.name)} was applied`);
  }
  for (const n of named) {
    if (!n.test(output)) problems.push(`Nx output does not name ${n}`);
    if (!opts.expectSuccess && !n.test(result?.error ?? '')) problems.push(`result.json error does not name ${n}`);
  }
  let workKept = true;
  if (result?.commit) {
    try {
      git(ws.root, 'show', `ai/auth/${batch.name}:${OK_FILE(batch.name)}`);
    } catch {
      workKept = false;
      problems.push(`its work is not on branch ai/auth/${batch.name}`);
    }
  }
  opts.undo?.();
  const { diffs, destroyed } = compare(before, userState(), opts.expectSuccess ? `libs/auth/src/${batch.name}/` : null);
  problems.push(...diffs);
  if (problems.length) log(`${batch.name}: ${problems.join('\n  ')}\n--- nx output ---\n${output.split('\n').slice(-30).join('\n')}`);
  return { problems, dataLost: destroyed + (workKept ? 0 : 1) };
}

function record(fault: string, verdicts: Verdict[], detail: string): void {
  const survived = verdicts.filter((v) => v.problems.length === 0).length;
  recordFault({ fault, runs: verdicts.length, survived, dataLost: verdicts.reduce((s, v) => s + v.dataLost, 0), detail });
}

async function row(fault: string, detail: string, trials: () => Promise<Verdict[]>): Promise<void> {
  const t0 = Date.now();
  let verdicts: Verdict[] = [];
  try {
    verdicts = await trials();
  } catch (error) {
    verdicts.push({ problems: [`the row itself failed: ${(error as Error).stack}`], dataLost: 0 });
  } finally {
    record(fault, verdicts, `${detail} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  expect(verdicts.flatMap((v) => v.problems)).toEqual([]);
  expect(verdicts.reduce((s, v) => s + v.dataLost, 0)).toBe(0);
}

function rules(): ScriptRule[] {
  const root = ws.root;
  const output = (name: string) => ({ write: { path: OK_FILE(name), content: 'export const ok = 1;\n' } });
  return [
    { name: 'claude-abs-write', match: 'SCRIPT:claude-abs-write', steps: [{ write: { path: join(root, 'PWNED.txt'), content: 'owned\n' } }, output('claude-abs-write'), { text: 'Done.' }] },
    {
      name: 'claude-git',
      match: 'SCRIPT:claude-git',
      steps: [{ bash: 'git branch -D feature' }, { bash: 'git config user.name evil' }, { bash: `git -C ${root} checkout -q -b evil` }, output('claude-git'), { text: 'Done.' }],
    },
    { name: 'claude-secret', match: 'SCRIPT:claude-secret', steps: [{ bash: 'printenv PLANTED_API_KEY' }, output('claude-secret'), { text: `The key is ${PLANTED}.` }] },
  ];
}

beforeAll(async () => {
  ws = createWorkspace({
    projects: { auth: { root: 'libs/auth', files: { 'src/index.ts': 'export {};\n' } } },
    prefix: 'nxwa-security-',
    log: (l) => log(l),
  });
  git(ws.root, 'branch', 'feature');
  git(ws.root, 'tag', 'v1');
  // The user's work in progress, which nothing may touch.
  writeFileSync(join(ws.root, 'README.md'), `${readFileSync(join(ws.root, 'README.md'), 'utf8')}\nWork in progress.\n`);
  mkdirSync(join(ws.root, 'notes'), { recursive: true });
  writeFileSync(join(ws.root, 'notes/todo.txt'), 'untracked notes\n');
  marker = join(ws.base, 'agent-ran');
  server = await startAnthropicServer({ rules: rules(), delayMs: 0 });
  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  claudeEnv = claudeTestEnv(server.url, configDir);
});

afterAll(async () => {
  await server?.close();
  if (ws && !process.env.NX_WORKTREE_AI_FAULTS_KEEP) ws.remove();
  else if (ws) log(`kept ${ws.base}`);
});

describe('security faults', () => {
  test('agent writes into the workspace by absolute path', () =>
    row('agent writes into the workspace by absolute path', 'command agent: refused by the OS sandbox and named; unconfined: detected and named; claude: refused by acceptEdits', async () => [
      await hostile(commandBatch('abs-write', eachTried([`fs.writeFileSync(${JSON.stringify(join(ws.root, 'PWNED.txt'))}, 'owned\\n')`])), [refused(join(ws.root, 'PWNED.txt'))]),
      await hostile(commandBatch('abs-write-off', `fs.writeFileSync(${JSON.stringify(join(ws.root, 'PWNED.txt'))}, 'owned\\n');`, UNCONFINED), [/created PWNED\.txt in the workspace/], {
        undo: () => rmSync(join(ws.root, 'PWNED.txt'), { force: true }),
      }),
      await hostile(claudeBatch('claude-abs-write'), [/claude was refused Write/]),
    ]));

  test('agent creates an escaping symlink', () =>
    row('agent creates an escaping symlink', 'absolute target, ../ out of the worktree, into .git', async () => [
      await hostile(
        commandBatch('symlink', `fs.symlinkSync('/etc/passwd', 'libs/auth/src/symlink/passwd'); fs.symlinkSync('../../../../../../../../tmp', 'libs/auth/src/symlink/up'); fs.symlinkSync('../../../../.git/config', 'libs/auth/src/symlink/cfg');`),
        [/created the symlink libs\/auth\/src\/symlink\/passwd -> \/etc\/passwd/, /libs\/auth\/src\/symlink\/up -> .* \(it points outside the worktree\)/, /libs\/auth\/src\/symlink\/cfg -> .* \(it points into \.git\)/],
      ),
    ]));

  test('agent runs git branch -D, git config, git checkout against shared state', () =>
    row('agent runs git branch -D / config / checkout on shared state', 'command agent: refused by the OS sandbox and named; unconfined: named, deleted branch put back; claude: refused by the deny list and acceptEdits', async () => [
      await hostile(
        commandBatch(
          'git-shared',
          eachTried([`cp.execFileSync('git', ['branch', '-D', 'feature'], { stdio: 'pipe' })`, `cp.execFileSync('git', ['config', 'user.name', 'evil'], { stdio: 'pipe' })`, `cp.execFileSync('git', ['-C', ${JSON.stringify(ws.root)}, 'checkout', '-q', '-b', 'evil'], { stdio: 'pipe' })`]),
        ),
        [refused(join(ws.root, '.git', 'config')), refused(join(ws.root, '.git', 'index.lock')), /tried to write .*\.git\/(packed-refs\.lock|refs\/heads\/feature\.lock) \(refused by the sandbox\)/],
      ),
      await hostile(
        commandBatch(
          'git-shared-off',
          `cp.execFileSync('git', ['branch', '-D', 'feature']); cp.execFileSync('git', ['config', 'user.name', 'evil']); cp.execFileSync('git', ['-C', ${JSON.stringify(ws.root)}, 'checkout', '-q', '-b', 'evil']);`,
          UNCONFINED,
        ),
        [/deleted branch feature \(put back at [0-9a-f]{12}\)/, /changed \.git\/config/, /created branch evil/, /switched the HEAD of the main worktree/],
        {
          undo: () => {
            git(ws.root, 'checkout', '-q', 'main');
            git(ws.root, 'branch', '-q', '-D', 'evil');
            git(ws.root, 'config', 'user.name', 'Test');
          },
        },
      ),
      await hostile(claudeBatch('claude-git'), [/Permission to use Bash with command git branch -D feature has been denied/, /Permission to use Bash with command git config user\.name evil has been denied/, /Bash failed: .*git -C .* checkout|Bash failed: This command requires approval/], { expectSuccess: true }),
    ]));

  test('agent writes outside its outputs', () =>
    row('agent writes outside its outputs', 'scope guard on the collected change', async () => [
      await hostile(commandBatch('scope', `fs.writeFileSync('package.json', '{}'); fs.writeFileSync('libs/auth/project.json', '{}');`), [/outside the batch's outputs .*: libs\/auth\/project\.json, package\.json/]),
    ]));

  test('hostile names and paths are refused before anything runs', () =>
    row('hostile names and paths refused before anything runs', 'executor options, batch frontmatter, project and batch names', async () => {
      const ran = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
      const BAD = ['run', 'auth:ai-generate--bad'];
      commitBatch({ project: 'auth', name: 'ok', frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['src/ok/**'] }, prompt: 'ok\n' });
      const cases: Array<{ what: string; args?: string[]; run?: string[]; files?: Record<string, string>; message: RegExp }> = [
        // (Not `nx run ... --batch=x`: Nx takes --batch as its own flag.) A project.json overriding the inferred option:
        { what: 'option batch: ../../etc/x.ai.md', files: { 'libs/auth/project.json': projectJsonWith({ batch: '../../etc/x.ai.md' }) }, message: /key "batch".*contains "\.\."/ },
        { what: 'option batch: /etc/x.ai.md', files: { 'libs/auth/project.json': projectJsonWith({ batch: '/etc/x.ai.md' }) }, message: /key "batch".*absolute/ },
        { what: 'option copyFiles: [../../.ssh/id_rsa]', files: { 'libs/auth/project.json': projectJsonWith({ copyFiles: ['../../.ssh/id_rsa'] }) }, message: /key "copyFiles\.0".*contains "\.\."/ },
        { what: '--model=--dangerously-skip-permissions', args: ['--model=--dangerously-skip-permissions'], message: /key "model".*starts with "-"/ },
        { what: 'outputs: ["../../**"]', files: { 'libs/auth/ai/bad.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['../../**'] }, prompt: 'x\n' }) }, run: BAD, message: /key "outputs\.0".*contains "\.\."/ },
        { what: 'outputs: ["{..,src}/**"]', files: { 'libs/auth/ai/bad.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['{..,src}/**'] }, prompt: 'x\n' }) }, run: BAD, message: /as \.\.\/\*\*/ },
        { what: 'context: ["{workspaceRoot}/../secrets"]', files: { 'libs/auth/ai/bad.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['src/bad/**'], context: ['{workspaceRoot}/../secrets'] }, prompt: 'x\n' }) }, run: BAD, message: /key "context\.0".*contains "\.\."/ },
        { what: 'dependsOn: ["--upload-pack=x:y"]', files: { 'libs/auth/ai/bad.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['src/bad/**'], dependsOn: ['--upload-pack=x:y'] }, prompt: 'x\n' }) }, run: BAD, message: /key "dependsOn\.0"/ },
        { what: 'batch file a..b.ai.md', files: { 'libs/auth/ai/a..b.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['src/bad/**'] }, prompt: 'x\n' }) }, run: ['run-many', '-t', 'ai-generate--a..b'], message: /batch name "a\.\.b".*contains "\.\."/ },
        {
          what: 'project named --upload-pack=touch pwned',
          files: {
            'libs/evil/project.json': JSON.stringify({ name: '--upload-pack=touch pwned', root: 'libs/evil' }),
            'libs/evil/ai/x.ai.md': renderBatchFile({ frontmatter: { agent: 'command', command: ['node', '-e', ran], outputs: ['src/**'] }, prompt: 'x\n' }),
          },
          run: ['run-many', '-t', 'ai-generate--x'],
          message: /project name "--upload-pack=touch pwned" \(of libs\/evil\) starts with "-"/,
        },
      ];
      const verdicts: Verdict[] = [];
      // A hostile batch file gets a target that refuses to run (one bad file never breaks the workspace's graph).
      // The `ok` batch runs once for real: a refused run must then add nothing to its branch, artifacts or worktrees.
      await nx(['run', 'auth:ai-generate--ok']);
      rmSync(marker, { force: true });
      for (const c of cases) {
        const before = userState();
        const saved = Object.fromEntries(Object.keys(c.files ?? {}).map((p) => [p, existsSync(join(ws.root, p)) ? readFileSync(join(ws.root, p)) : null]));
        for (const [path, content] of Object.entries(c.files ?? {})) {
          mkdirSync(join(ws.root, path, '..'), { recursive: true });
          writeFileSync(join(ws.root, path), content);
        }
        const refs = git(ws.root, 'for-each-ref');
        const worktrees = git(ws.root, 'worktree', 'list');
        const artifacts = readdirSync(join(ws.root, '.nx-worktree-ai/auth/ok')).map((f) => `${f}:${readFileSync(join(ws.root, '.nx-worktree-ai/auth/ok', f), 'utf8')}`);
        const res = await nx(c.run ?? ['run', 'auth:ai-generate--ok', ...(c.args ?? [])]);
        const output = stripAnsi(res.output);
        const problems: string[] = [];
        if (res.code === 0) problems.push(`${c.what}: nx succeeded`);
        if (!c.message.test(output)) problems.push(`${c.what}: output does not say ${c.message}`);
        if (existsSync(marker)) problems.push(`${c.what}: the agent ran`);
        if (git(ws.root, 'for-each-ref') !== refs) problems.push(`${c.what}: refs changed`);
        const artifactsNow = readdirSync(join(ws.root, '.nx-worktree-ai/auth/ok')).map((f) => `${f}:${readFileSync(join(ws.root, '.nx-worktree-ai/auth/ok', f), 'utf8')}`);
        if (JSON.stringify(artifactsNow) !== JSON.stringify(artifacts)) problems.push(`${c.what}: artifacts written`);
        if (git(ws.root, 'worktree', 'list') !== worktrees) problems.push(`${c.what}: a worktree was added`);
        for (const [path, content] of Object.entries(saved)) {
          if (content === null) rmSync(join(ws.root, path), { force: true });
          else writeFileSync(join(ws.root, path), content);
        }
        rmSync(join(ws.root, 'libs/evil'), { recursive: true, force: true });
        rmSync(marker, { force: true });
        const { diffs, destroyed } = compare(before, userState());
        problems.push(...diffs);
        if (problems.length) log(`${c.what}:\n  ${problems.join('\n  ')}\n${output.split('\n').slice(-20).join('\n')}`);
        verdicts.push({ problems, dataLost: destroyed });
      }
      return verdicts;
    }));

  test('a planted secret reaches no artifact, branch, terminal output or Nx cache', () =>
    row('planted secret leaks nowhere', 'command agent prints it (stdout, stderr, its error); claude printenv + repeats it; secretEnv for a non-standard name', async () => {
      const env = { PLANTED_API_KEY: PLANTED, MY_DB_URL: DB_URL };
      const leak = `console.log('key', process.env.PLANTED_API_KEY, process.env.MY_DB_URL); console.error('err', process.env.PLANTED_API_KEY);`;
      const verdicts: Verdict[] = [];
      const outputs: string[] = [];
      const trial = async (batch: BatchDef, expectCode: 'ok' | 'fail') => {
        commitBatch(batch);
        const res = await nx(['run', `auth:ai-generate--${batch.name}`, '--secretEnv=MY_DB_URL'], env);
        outputs.push(stripAnsi(res.output));
        const problems = (expectCode === 'ok') === (res.code === 0) ? [] : [`${batch.name}: nx exited ${res.code}`];
        if (!/\[redacted:PLANTED_API_KEY\]/.test(res.output)) problems.push(`${batch.name}: the redaction marker is not in the output (did the value reach a sink at all?)`);
        verdicts.push({ problems, dataLost: 0 });
      };
      await trial(commandBatch('secret-ok', leak), 'ok');
      await trial(commandBatch('secret-fail', `${leak} process.exit(3);`), 'fail');
      await trial(claudeBatch('claude-secret', { claude: { allowedTools: ['Bash(printenv:*)'] } }), 'ok');
      for (const secret of [PLANTED, DB_URL, 'fault-db-password']) {
        const found = [
          ...leaksOf(secret, { dir: join(ws.root, '.nx-worktree-ai'), repo: ws.root, output: outputs.join('\n') }),
          ...leaksOf(secret, { dir: ws.cacheDir }),
        ];
        if (found.length) verdicts[0].problems.push(`${secret.slice(0, 12)}... found in: ${found.join(', ')}`);
      }
      return verdicts;
    }));
});
