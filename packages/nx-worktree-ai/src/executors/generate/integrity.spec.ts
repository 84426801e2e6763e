import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecutorContext } from '@nx/devkit';
import { captureConsole, executorContext, type CapturedConsole } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import generateExecutor from './executor';
import { sandboxTool } from '../../sandbox/available';
import type { BatchResult } from '../../results/result';

/**
 * "Nobody in": hostile agents (the `command` agent running a node script, so every trick really
 * runs) that reach outside their worktree. Each batch fails naming what it did, nothing is applied
 * (not even its legitimate output), the workspace is as it was, and its work is on its branch.
 * Concurrent batches and the user's edits to a batch's own outputs are not mistaken for an attack.
 */

const OUTPUT = `fs.mkdirSync('libs/auth/src/auth', { recursive: true }); fs.writeFileSync('libs/auth/src/auth/login.ts', 'export const login = 1;\\n');`;

function batchFile(script: string, extra = ''): string {
  return `---\ndescription: hostile\nagent: command\ncommand: [node, -e, ${JSON.stringify(`const fs = require('fs'); const cp = require('child_process'); ${script}`)}]\noutputs: [src/auth/**]\n${extra}---\nWrite the module.\n`;
}

interface Ctx {
  root: string;
  worktreeDir: string;
  lines: string[];
}

function context(root: string, batch: string): ExecutorContext {
  return executorContext(root, { target: `ai-generate--${batch}` });
}

function readResult(root: string, batch: string): BatchResult {
  return JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth', batch, 'result.json'), 'utf8'));
}

/** Everything of the user's that must not change: files (status and content), HEAD, index, refs, config, hooks. */
function userState(root: string, ignoreRefs: RegExp = /^refs\/(heads\/ai(-kept)?\/|nx-worktree-ai\/)/) {
  const files = git(root, 'ls-files', '-co', '--exclude-standard', '-z')
    .split('\0')
    .filter((f) => f && !f.startsWith('.nx-worktree-ai/'))
    .sort()
    .map((f) => `${f}:${existsSync(join(root, f)) ? readFileSync(join(root, f)).toString('base64') : 'gone'}`);
  return {
    files,
    status: git(root, 'status', '--porcelain=v1', '-uall'),
    head: readFileSync(join(root, '.git/HEAD'), 'utf8'),
    // Staged entries (the raw index also holds stat data, which the test's own undo refreshes).
    index: git(root, 'ls-files', '--stage'),
    refs: git(root, 'for-each-ref', '--format=%(refname) %(objectname)')
      .split('\n')
      .filter((l) => !ignoreRefs.test(l))
      .join('\n'),
    config: readFileSync(join(root, '.git/config'), 'utf8'),
    hooks: existsSync(join(root, '.git/hooks/pre-commit')),
  };
}

// Real git and real processes; slow on a loaded machine.
jest.setTimeout(120_000);

describe('integrity: an agent that reaches outside its worktree fails its batch', () => {
  const t: Ctx = { root: '', worktreeDir: '', lines: [] };
  let captured: CapturedConsole;

  beforeEach(() => {
    t.root = gitRepo({
      'libs/auth/project.json': '{ "name": "auth" }\n',
      'README.md': 'readme\n',
      '.gitignore': '.nx-worktree-ai/\n',
    });
    git(t.root, 'branch', 'feature');
    git(t.root, 'tag', 'v1');
    writeFiles(t.root, { 'notes.txt': 'my uncommitted notes\n' });
    t.worktreeDir = tempDir('nxwa-integrity-wt-');
    captured = captureConsole();
    t.lines = captured.lines;
  });
  afterEach(() => {
    captured.restore();
    removeDir(t.root);
    removeDir(t.worktreeDir);
  });

  function addBatch(name: string, script: string, extra = ''): void {
    writeFiles(t.root, { [`libs/auth/ai/${name}.ai.md`]: batchFile(script, extra) });
    git(t.root, 'add', `libs/auth/ai/${name}.ai.md`);
    git(t.root, 'commit', '-qm', `batch ${name}`);
  }

  // These agents run unconfined: the checks below are the guard without the OS sandbox (sandbox: off).
  const run = (name: string, options: Record<string, unknown> = {}) =>
    generateExecutor({ batch: `libs/auth/ai/${name}.ai.md`, worktreeDir: t.worktreeDir, sandbox: 'off', ...options }, context(t.root, name));

  /** Runs a hostile batch; asserts it failed, applied nothing, kept its work, and named each finding. */
  async function expectCaught(name: string, script: string, named: RegExp[], restore?: () => void): Promise<BatchResult> {
    addBatch(name, `${OUTPUT} ${script}`);
    const before = userState(t.root);
    await expect(run(name)).resolves.toEqual({ success: false });
    restore?.();
    const result = readResult(t.root, name);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^the agent reached outside its worktree: /);
    expect(result.error).toContain(`Nothing was applied; the work is on branch ai/auth/${name}`);
    for (const n of named) {
      expect(result.error).toMatch(n);
      expect(t.lines.join('\n')).toMatch(n);
    }
    // Nothing applied: not even the legitimate output.
    expect(existsSync(join(t.root, 'libs/auth/src/auth/login.ts'))).toBe(false);
    // After undoing what the test's hostile agent did and the plugin only reported: exactly as before.
    expect(userState(t.root)).toEqual(before);
    // The work is kept on the branch.
    expect(git(t.root, 'show', `ai/auth/${name}:libs/auth/src/auth/login.ts`)).toBe('export const login = 1;');
    return result;
  }

  it('writes into the main workspace by absolute path', async () => {
    const pwned = join(t.root, 'PWNED.txt');
    const readme = join(t.root, 'README.md');
    const result = await expectCaught(
      'abs-write',
      `fs.writeFileSync(${JSON.stringify(pwned)}, 'owned'); fs.appendFileSync(${JSON.stringify(readme)}, 'owned\\n');`,
      [/created PWNED\.txt in the workspace/, /changed README\.md in the workspace/],
      () => {
        // What the agent wrote stays (the plugin cannot tell it from the user's edits): remove it for the state check.
        removeDir(pwned);
        writeFileSync(readme, 'readme\n');
      },
    );
    expect(result.error).toMatch(/cannot tell who made a change during the run/);
  });

  it('creates symlinks that point outside the worktree or into .git', async () => {
    await expectCaught(
      'symlinks',
      `fs.symlinkSync('/etc/passwd', 'libs/auth/src/auth/passwd'); fs.symlinkSync('../../../../../../../outside', 'libs/auth/src/auth/up'); fs.symlinkSync('../../../../.git/config', 'libs/auth/src/auth/cfg'); fs.symlinkSync('login.ts', 'libs/auth/src/auth/ok-link');`,
      [
        /created the symlink libs\/auth\/src\/auth\/passwd -> \/etc\/passwd \(an absolute target, outside the worktree\)/,
        /created the symlink libs\/auth\/src\/auth\/up -> \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/outside \(it points outside the worktree\)/,
        /created the symlink libs\/auth\/src\/auth\/cfg -> \.\.\/\.\.\/\.\.\/\.\.\/\.git\/config \(it points into \.git\)/,
      ],
    );
    expect(readResult(t.root, 'symlinks').error).not.toMatch(/ok-link/);
  });

  it('runs git branch -D, git tag -d, git config and git checkout against shared state', async () => {
    const script = [
      `cp.execFileSync('git', ['branch', '-D', 'feature']);`,
      `cp.execFileSync('git', ['tag', '-d', 'v1']);`,
      `cp.execFileSync('git', ['config', 'core.hooksPath', '/tmp/evil-hooks']);`,
      `cp.execFileSync('git', ['-C', ${JSON.stringify('ROOT')}.replace('ROOT', process.env.NXWA_ROOT), 'checkout', '-q', '-b', 'evil']);`,
    ].join(' ');
    process.env.NXWA_ROOT = t.root;
    try {
      await expectCaught(
        'git-shared',
        script,
        [/deleted branch feature \(put back at [0-9a-f]{12}\)/, /deleted tag v1 \(put back at [0-9a-f]{12}\)/, /created branch evil/, /changed \.git\/config/, /switched the HEAD of the main worktree \(ref: refs\/heads\/main -> ref: refs\/heads\/evil\)/],
        () => {
          // What the plugin only reports; the deleted branch and tag it put back itself.
          git(t.root, 'checkout', '-q', 'main');
          git(t.root, 'branch', '-q', '-D', 'evil');
          git(t.root, 'config', '--unset', 'core.hooksPath');
        },
      );
    } finally {
      delete process.env.NXWA_ROOT;
    }
  });

  it('plants a git hook, writes beside its worktree and rewrites its .git file', async () => {
    const result = await expectCaught(
      'planted',
      [
        `const common = cp.execFileSync('git', ['rev-parse', '--git-common-dir']).toString().trim();`,
        `fs.writeFileSync(require('path').join(common, 'hooks', 'pre-commit'), '#!/bin/sh\\necho owned\\n', { mode: 0o755 });`,
        `fs.writeFileSync(require('path').join(process.cwd(), '..', 'evil.sh'), 'echo owned');`,
        `fs.mkdirSync('evil-git'); fs.writeFileSync('.git', 'gitdir: ' + require('path').join(process.cwd(), 'evil-git') + '\\n');`,
      ].join(' '),
      [/created \.git\/hooks\/pre-commit/, /created .*evil\.sh outside the worktree/, /rewrote the worktree's \.git file/],
      () => removeDir(join(t.root, '.git/hooks/pre-commit')),
    );
    // The work was still collected through the git dir recorded at creation, not the rewritten .git file.
    expect(result.filesChanged).toContain('libs/auth/src/auth/login.ts');
  });

  it('writes outside its outputs inside the worktree (scope guard)', async () => {
    addBatch('scope', `${OUTPUT} fs.writeFileSync('package.json', '{}');`);
    const before = userState(t.root);
    await expect(run('scope')).resolves.toEqual({ success: false });
    expect(readResult(t.root, 'scope').error).toMatch(/outside the batch's outputs .*: package\.json/);
    expect(userState(t.root)).toEqual(before);
  });

  it('does not blame an agent for another batch integrating (apply: commit moves the branch of HEAD and the index) meanwhile', async () => {
    // slow: waits until the test says go; fast: integrates its result while slow's agent runs.
    const signals = tempDir('nxwa-integrity-signals-');
    const started = join(signals, 'started');
    const go = join(signals, 'go');
    addBatch(
      'slow',
      `fs.writeFileSync(${JSON.stringify(started)}, '1'); while (!fs.existsSync(${JSON.stringify(go)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); ${OUTPUT}`,
    );
    writeFiles(t.root, {
      'libs/auth/ai/fast.ai.md': `---\nagent: command\ncommand: [node, -e, "require('fs').mkdirSync('libs/auth/src/fast', { recursive: true }); require('fs').writeFileSync('libs/auth/src/fast/f.ts', 'fast\\\\n')"]\noutputs: [src/fast/**]\napply: commit\n---\nFast.\n`,
    });
    git(t.root, 'add', '-A');
    git(t.root, 'commit', '-qm', 'fast batch');
    const slow = run('slow');
    while (!existsSync(started)) await delay(20);
    await expect(run('fast')).resolves.toEqual({ success: true });
    expect(readFileSync(join(t.root, 'libs/auth/src/fast/f.ts'), 'utf8')).toBe('fast\n');
    writeFileSync(go, '1');
    const slowOutcome = await slow;
    removeDir(signals);
    expect({ slowOutcome, error: readResult(t.root, 'slow').error }).toEqual({ slowOutcome: { success: true }, error: null });
    expect(readResult(t.root, 'slow').status).toBe('succeeded');
    expect(readFileSync(join(t.root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 1;\n');
  });

  it('refuses a poisoned result-cache entry: an escaping symlink or a .git path is never written', async () => {
    addBatch('cached', OUTPUT);
    await expect(run('cached')).resolves.toEqual({ success: true });
    const key = readResult(t.root, 'cached').cacheKey!;
    const ref = `refs/nx-worktree-ai/cache/${key}`;
    const record = git(t.root, 'rev-parse', ref);
    const result = readResult(t.root, 'cached').commit!;
    const sh = (args: string[], input?: string) => execFileSync('git', args, { cwd: t.root, input }).toString().trim();
    /** `tree` with `entry` (mode, type, oid) at `path`, built with mktree, which (unlike the index) takes any name, .git included. */
    const graft = (tree: string, path: string[], entry: string): string => {
      const lines = sh(['ls-tree', tree]).split('\n').filter(Boolean);
      const [name, ...rest] = path;
      const kept = lines.filter((l) => l.split('\t')[1] !== name);
      if (!rest.length) return sh(['mktree'], `${[...kept, `${entry}\t${name}`].join('\n')}\n`);
      const sub = lines.find((l) => l.split('\t')[1] === name)?.split(/\s/)[2] ?? sh(['mktree'], '');
      return sh(['mktree'], `${[...kept, `040000 tree ${graft(sub, rest, entry)}\t${name}`].join('\n')}\n`);
    };
    /** The same record with one more file in its outputs and its changes.patch: what a hostile remote could serve. */
    const poison = (path: string, mode: string, content: string) => {
      const oid = sh(['hash-object', '-w', '--stdin'], content);
      const lines = content.replace(/\n$/, '').split('\n').map((l) => `+${l}\n`).join('');
      const block = `diff --git a/${path} b/${path}\nnew file mode ${mode}\nindex ${'0'.repeat(40)}..${oid}\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${content.split('\n').length - (content.endsWith('\n') ? 1 : 0)} @@\n${lines}${content.endsWith('\n') ? '' : '\\ No newline at end of file\n'}`;
      const patch = sh(['hash-object', '-w', '--stdin'], `${execFileSync('git', ['show', `${record}:changes.patch`], { cwd: t.root }).toString()}${block}`);
      const withPatch = graft(sh(['rev-parse', `${record}^{tree}`]), ['changes.patch'], `100644 blob ${patch}`);
      const tree = graft(withPatch, ['outputs', ...path.split('/')], `${mode} blob ${oid}`);
      const badRecord = git(t.root, 'commit-tree', tree, '-m', 'poisoned record');
      git(t.root, 'update-ref', ref, badRecord);
      expect(sh(['ls-tree', '-r', '--name-only', badRecord])).toContain(`outputs/${path}`);
    };
    const before = userState(t.root, /^refs\/(heads\/ai(-kept)?\/|nx-worktree-ai\/)/);
    rmSync(join(t.root, 'libs/auth/src/auth/login.ts'));

    poison('libs/auth/src/auth/passwd', '120000', '/etc/passwd');
    await expect(run('cached')).resolves.toEqual({ success: false });
    expect(t.lines.join('\n')).toMatch(/the stored result \w+ holds created the symlink libs\/auth\/src\/auth\/passwd -> \/etc\/passwd .*Nothing was applied/);
    expect(existsSync(join(t.root, 'libs/auth/src/auth/passwd'))).toBe(false);
    expect(existsSync(join(t.root, 'libs/auth/src/auth/login.ts'))).toBe(false);

    git(t.root, 'update-ref', ref, record);
    poison('libs/auth/src/auth/.git/config', '100644', '[core]\n\tfsmonitor = touch owned\n');
    await expect(run('cached')).resolves.toEqual({ success: false });
    expect(t.lines.join('\n')).toMatch(/the stored result \w+ holds the path "libs\/auth\/src\/auth\/\.git\/config" \(it has a \.git part\)\. Nothing was applied/);
    // Neither poisoned result reached the batch branch.
    expect(git(t.root, 'rev-parse', 'ai/auth/cached')).toBe(result);
    expect(existsSync(join(t.root, 'libs/auth/src/auth/.git'))).toBe(false);
    expect(existsSync(join(t.root, 'libs/auth/src/auth/login.ts'))).toBe(false);
    writeFileSync(join(t.root, 'libs/auth/src/auth/login.ts'), 'export const login = 1;\n');
    expect(userState(t.root, /^refs\/(heads\/ai(-kept)?\/|nx-worktree-ai\/)/)).toEqual(before);
  });

  it("still collects an agent's work when it ran git init in a subfolder (a nested repository without a commit)", async () => {
    addBatch('nested', `${OUTPUT} cp.execFileSync('git', ['init', '-q', 'libs/auth/src/auth/sub']); fs.writeFileSync('libs/auth/src/auth/sub/x.ts', 'x');`);
    await expect(run('nested')).resolves.toEqual({ success: true });
    expect(readFileSync(join(t.root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 1;\n');
    expect(git(t.root, 'show', 'ai/auth/nested:libs/auth/src/auth/login.ts')).toBe('export const login = 1;');
  });

  it("does not blame an agent for git's own maintenance meanwhile (gc's info/refs, packed refs)", async () => {
    addBatch('maintained', `${OUTPUT} cp.execFileSync('git', ['-C', process.env.NXWA_ROOT, 'update-server-info']); cp.execFileSync('git', ['-C', process.env.NXWA_ROOT, 'pack-refs', '--all']);`);
    process.env.NXWA_ROOT = t.root;
    try {
      await expect(run('maintained')).resolves.toEqual({ success: true });
    } finally {
      delete process.env.NXWA_ROOT;
    }
    expect(existsSync(join(t.root, '.git/info/refs'))).toBe(true);
    expect(readFileSync(join(t.root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 1;\n');
  });

  it('integrity: warn applies the result and says what it saw', async () => {
    const notes = join(t.root, 'notes.txt');
    addBatch('warned', `${OUTPUT} fs.appendFileSync(${JSON.stringify(notes)}, 'agent was here\\n');`);
    await expect(run('warned', { integrity: 'warn' })).resolves.toEqual({ success: true });
    expect(t.lines.join('\n')).toMatch(/\[auth:warned\] warning: the agent reached outside its worktree: changed notes\.txt in the workspace \(integrity: warn/);
    expect(readFileSync(join(t.root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 1;\n');
  });
});

describe('integrity with the OS sandbox: what the agent tries outside its worktree is refused, and named', () => {
  const sandboxed = sandboxTool().available ? it : it.skip;
  let root: string;
  let worktreeDir: string;
  beforeEach(() => {
    root = gitRepo({ 'libs/auth/project.json': '{ "name": "auth" }\n', 'README.md': 'readme\n', '.gitignore': '.nx-worktree-ai/\n' });
    git(root, 'branch', 'feature');
    worktreeDir = tempDir('nxwa-integrity-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  sandboxed('writes into the workspace, deletes a branch, changes the config and plants a hook: none of it happens', async () => {
    const attempts = [
      `fs.appendFileSync(process.env.NXWA_ROOT + '/README.md', 'owned\\n')`,
      `fs.writeFileSync(process.env.NXWA_ROOT + '/PWNED.txt', 'owned')`,
      `cp.execFileSync('git', ['-C', process.env.NXWA_ROOT, 'branch', '-D', 'feature'])`,
      `cp.execFileSync('git', ['-C', process.env.NXWA_ROOT, 'config', 'core.hooksPath', '/tmp/evil'])`,
      `fs.writeFileSync(process.env.NXWA_ROOT + '/.git/hooks/pre-commit', 'evil')`,
    ];
    // Each attempt on its own, its error printed, as an agent's tool would report it.
    const script = `${OUTPUT} ${attempts.map((a) => `try { ${a}; } catch (e) { console.error(String(e.stderr || e.message)); }`).join(' ')}`;
    writeFiles(root, { 'libs/auth/ai/confined.ai.md': batchFile(script) });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'batch confined');
    const before = userState(root);
    process.env.NXWA_ROOT = root;
    try {
      await expect(generateExecutor({ batch: 'libs/auth/ai/confined.ai.md', worktreeDir, sandbox: 'required' }, context(root, 'confined'))).resolves.toEqual({ success: false });
    } finally {
      delete process.env.NXWA_ROOT;
    }
    // Nothing to undo: the user's files, refs, config and hooks are exactly as they were.
    expect(userState(root)).toEqual(before);
    expect(existsSync(join(root, 'PWNED.txt'))).toBe(false);
    const result = readResult(root, 'confined');
    expect(result.status).toBe('failed');
    for (const path of ['README.md', 'PWNED.txt', '.git/hooks/pre-commit']) expect(result.error).toContain(`tried to write ${join(root, path)} (refused by the sandbox)`);
    expect(result.error).toMatch(/tried to write .*\.git\/(config|refs\/heads\/feature|packed-refs)/);
    expect(result.error).not.toMatch(/cannot tell who made a change/);
    expect(existsSync(join(root, 'libs/auth/src/auth/login.ts'))).toBe(false);
    expect(git(root, 'show', 'ai/auth/confined:libs/auth/src/auth/login.ts')).toBe('export const login = 1;');
  });
});
