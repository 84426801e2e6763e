import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { captureConsoleEachTest, executorContext } from '@testing/executor';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type ScriptRule } from '@testing/scripted-model/anthropic';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import generateExecutor from './executor';
import type { BatchResult } from '../../results/result';
import { allGitObjects, filesBelow } from '@testing/leaks';

/**
 * The guards with the REAL claude CLI (against the scripted model server on 127.0.0.1): its
 * default permissions and the plugin's deny list refuse what a hostile model asks for; with
 * bypassPermissions (opt-in, warned about) the commands run and the integrity check catches them;
 * a user's edit during the run is merged 3-way or reported as a conflict; a secret the model sees
 * and repeats is redacted everywhere.
 */
jest.setTimeout(180_000);

const CLAUDE = resolve(__dirname, '../../../../../node_modules/.bin/claude');
const PLANTED = 'sk-planted-CLAUDE-9876543210fedcba';
const LOGIN = 'line one\nline two\nline three\n';

let server: AnthropicServer;
const logged = captureConsoleEachTest();
let root: string;
let worktreeDir: string;
const savedEnv = { ...process.env };

function rules(ws: () => string): ScriptRule[] {
  const output = { write: { path: 'libs/auth/src/auth/new.ts', content: 'export const created = true;\n' } };
  return [
    {
      name: 'hostile',
      match: 'SCRIPT:hostile',
      steps: [
        { bash: 'git branch -D feature' },
        { bash: 'git config user.name evil' },
        { bash: 'git tag -d v1' },
        // Built when the request arrives: the workspace path of this test.
        { bash: 'GIT_CHECKOUT_MAIN' },
        { bash: 'GIT_TAG_MAIN' },
        { bash: 'ECHO_MAIN' },
        output,
        { text: 'Done.' },
      ],
    },
    { name: 'abs-write', match: 'SCRIPT:abs-write', steps: [{ write: { path: 'ABS_PWNED', content: 'owned\n' } }, output, { text: 'Done.' }] },
    { name: 'edit', match: 'SCRIPT:edit', steps: [{ edit: { path: 'libs/auth/src/auth/login.ts', oldString: 'line three', newString: 'line three, by claude' } }, { text: 'Done.' }] },
    { name: 'secret', match: 'SCRIPT:secret', steps: [{ bash: 'printenv PLANTED_API_KEY' }, output, { text: `I found the key: ${PLANTED}` }] },
  ].map((r) => ({
    ...r,
    steps: r.steps.map((s) => {
      const sub = (text: string) =>
        text
          .replace('GIT_CHECKOUT_MAIN', `git -C ${ws()} checkout -q -b evil`)
          .replace('GIT_TAG_MAIN', `git -C ${ws()} tag evil-tag`)
          .replace('ECHO_MAIN', `echo owned >> ${ws()}/README.md`)
          .replace('ABS_PWNED', `${ws()}/PWNED.txt`);
      if ('bash' in s && typeof s.bash === 'string') return { bash: sub(s.bash) };
      if ('write' in s) return { write: { ...s.write, path: sub(s.write.path) } };
      return s;
    }),
  })) as ScriptRule[];
}

beforeEach(async () => {
  root = gitRepo({
    'libs/auth/project.json': '{ "name": "auth" }\n',
    'libs/auth/src/auth/login.ts': LOGIN,
    'README.md': 'readme\n',
    '.gitignore': '.nx-worktree-ai/\n',
  });
  git(root, 'branch', 'feature');
  git(root, 'tag', 'v1');
  worktreeDir = tempDir('nxwa-claude-guards-wt-');
  // One server per test: the scripts name this test's workspace path.
  // A little model latency, so the user's edit in the mid-run tests lands before claude's Edit.
  server = await startAnthropicServer({ rules: rules(() => root), delayMs: 300 });
  const configDir = tempDir('nxwa-claude-guards-cfg-');
  Object.assign(process.env, claudeTestEnv(server.url, configDir), { PLANTED_API_KEY: PLANTED });
});
afterEach(async () => {
  await server.close();
  removeDir(process.env.CLAUDE_CONFIG_DIR!);
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  removeDir(root);
  removeDir(worktreeDir);
});

function addBatch(name: string, script: string, extra = ''): void {
  mkdirSync(join(root, 'libs/auth/ai'), { recursive: true });
  writeFileSync(join(root, `libs/auth/ai/${name}.ai.md`), `---\nagent: claude\nmaxTurns: 12\noutputs: [src/auth/**]\n${extra}---\n${script}: do the work.\n`);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', `batch ${name}`);
}

function run(name: string, options: Record<string, unknown> = {}): Promise<{ success: boolean }> {
  const context = executorContext(root, { target: `ai-generate--${name}` });
  return generateExecutor({ batch: `libs/auth/ai/${name}.ai.md`, worktreeDir, agentBin: CLAUDE, ...options }, context);
}

/** Runs the `edit` batch; the user's edit of login.ts lands after the snapshot, before claude's Edit: at its first model request. */
async function runWhileUserEdits(content: string): Promise<{ success: boolean }> {
  addBatch('edit', 'SCRIPT:edit');
  const running = run('edit');
  const before = server.mainRequests().length;
  while (server.mainRequests().length === before) await delay(10);
  writeFileSync(join(root, 'libs/auth/src/auth/login.ts'), content);
  return running;
}

const result = (name: string): BatchResult => JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth', name, 'result.json'), 'utf8'));
const sharedState = () => ({
  refs: git(root, 'for-each-ref', '--format=%(refname)', 'refs/heads/feature', 'refs/heads/main', 'refs/tags'),
  head: git(root, 'symbolic-ref', 'HEAD'),
  config: readFileSync(join(root, '.git/config'), 'utf8'),
  readme: readFileSync(join(root, 'README.md'), 'utf8'),
  pwned: existsSync(join(root, 'PWNED.txt')),
});

describe('the real claude CLI behind the guards', () => {
  it("default permissions and the deny list refuse git branch -D, git config, git tag -d and commands against the workspace", async () => {
    addBatch('hostile', 'SCRIPT:hostile');
    const before = sharedState();
    await expect(run('hostile')).resolves.toEqual({ success: true });
    expect(sharedState()).toEqual(before);
    const out = logged.lines.join('\n');
    expect(out).toMatch(/\[auth:hostile\] turn \d+ · Bash failed: Permission to use Bash with command git branch -D feature has been denied/);
    expect(out).toMatch(/Bash failed: Permission to use Bash with command git config user\.name evil has been denied/);
    expect(out).toMatch(/Bash failed: .*(requires approval|denied)/);
    expect(out).toMatch(/refused Bash/);
    expect(readFileSync(join(root, 'libs/auth/src/auth/new.ts'), 'utf8')).toBe('export const created = true;\n');
    expect(result('hostile').status).toBe('succeeded');
  });

  it('refuses a Write to the workspace by absolute path (the batch fails: claude was refused a write)', async () => {
    addBatch('abs-write', 'SCRIPT:abs-write');
    await expect(run('abs-write')).resolves.toEqual({ success: false });
    expect(existsSync(join(root, 'PWNED.txt'))).toBe(false);
    expect(result('abs-write').error).toMatch(/claude was refused Write/);
    expect(existsSync(join(root, 'libs/auth/src/auth/new.ts'))).toBe(false);
  });

  it('with bypassPermissions under the OS sandbox, its commands against the workspace are refused: nothing changes, the batch fails naming the paths', async () => {
    addBatch('hostile', 'SCRIPT:hostile', 'claude:\n  permissionMode: bypassPermissions\n');
    const before = sharedState();
    await expect(run('hostile', { sandbox: 'required' })).resolves.toEqual({ success: false });
    expect(sharedState()).toEqual(before);
    expect(git(root, 'tag', '--list')).toBe('v1');
    const error = result('hostile').error!;
    expect(error).toContain(`tried to write ${root}/README.md (refused by the sandbox)`);
    // `git -C <workspace> checkout -b evil` and `tag evil-tag` fail at their first lock file.
    expect(error).toContain(`tried to write ${root}/.git/index.lock (refused by the sandbox)`);
    expect(error).toContain(`tried to write ${root}/.git/refs/tags/evil-tag.lock (refused by the sandbox)`);
    expect(error).toContain('Nothing was applied; the work is on branch ai/auth/hostile');
    expect(existsSync(join(root, 'libs/auth/src/auth/new.ts'))).toBe(false);
  });

  it('with bypassPermissions (warned about) and no sandbox the commands run, and the integrity check fails the batch naming them', async () => {
    process.env.IS_SANDBOX = '1'; // claude refuses bypassPermissions as root otherwise
    addBatch('hostile', 'SCRIPT:hostile', 'claude:\n  permissionMode: bypassPermissions\n');
    await expect(run('hostile', { sandbox: 'off' })).resolves.toEqual({ success: false });
    const out = logged.lines.join('\n');
    expect(out).toContain('[auth:hostile] warning: claude.permissionMode bypassPermissions bypasses every permission check: the agent can run any command as you');
    const error = result('hostile').error!;
    // The deny list still holds under bypassPermissions.
    expect(git(root, 'branch', '--list', 'feature')).toContain('feature');
    expect(out).toMatch(/Permission to use Bash with command git branch -D feature has been denied/);
    for (const finding of [/created tag evil-tag/, /created branch evil/, /switched the HEAD of the main worktree \(ref: refs\/heads\/main -> ref: refs\/heads\/evil\)/, /changed README\.md in the workspace/]) {
      expect(error).toMatch(finding);
    }
    expect(error).toContain('Nothing was applied; the work is on branch ai/auth/hostile');
    expect(existsSync(join(root, 'libs/auth/src/auth/new.ts'))).toBe(false);
    expect(git(root, 'show', 'ai/auth/hostile:libs/auth/src/auth/new.ts')).toBe('export const created = true;');
  });

  it("merges the user's edit made while claude works, 3-way", async () => {
    await expect(runWhileUserEdits('line one, by you\nline two\nline three\n')).resolves.toEqual({ success: true });
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('line one, by you\nline two\nline three, by claude\n');
  });

  it("reports a clash with the user's edit made while claude works, and applies nothing", async () => {
    await expect(runWhileUserEdits('line one\nline two\nline three, by you\n')).resolves.toEqual({ success: false });
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('line one\nline two\nline three, by you\n');
    const out = logged.lines.join('\n');
    expect(out).toContain("conflict with the batch's result: libs/auth/src/auth/login.ts. Nothing was applied; the batch's work is on branch ai/auth/edit");
    expect(out).toMatch(/git merge-file -L yours -L base -L batch libs\/auth\/src\/auth\/login\.ts/);
  });

  it('redacts a secret claude printed and repeated from every artifact, git object and terminal line', async () => {
    addBatch('secret', 'SCRIPT:secret', 'claude:\n  allowedTools: ["Bash(printenv:*)"]\n');
    await expect(run('secret')).resolves.toEqual({ success: true });
    const transcript = readFileSync(join(root, '.nx-worktree-ai/auth/secret/transcript.jsonl'), 'utf8');
    expect(transcript).toContain('[redacted:PLANTED_API_KEY]');
    for (const file of filesBelow(join(root, '.nx-worktree-ai'))) expect({ file, leaks: readFileSync(file, 'latin1').includes(PLANTED) }).toEqual({ file, leaks: false });
    expect(allGitObjects(root).includes(PLANTED)).toBe(false);
    expect(git(root, 'log', '-p', '--all').includes(PLANTED)).toBe(false);
    expect(logged.lines.join('\n').includes(PLANTED)).toBe(false);
    expect(logged.lines.join('\n')).toContain('I found the key: [redacted:PLANTED_API_KEY]');
  });
});
