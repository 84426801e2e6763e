import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { captureConsoleEachTest, executorContext } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import generateExecutor from './executor';
import type { BatchResult } from '../../results/result';

// Real git and real processes; slow on a loaded machine.
jest.setTimeout(120_000);

/**
 * The user edits files while the batch's agent runs (the agent waits for the test's signal, so the
 * edit really happens mid-run): a change elsewhere in a file is merged 3-way; a clash fails the
 * batch, lists the files, applies nothing (not even the batch's other files), keeps the work on the
 * branch, and the git commands the message prints really bring it in by hand.
 */
describe('conflicts with edits made during the run', () => {
  const logged = captureConsoleEachTest();
  let root: string;
  let worktreeDir: string;
  let signals: string;

  const LOGIN = 'line one\nline two\nline three\n';

  beforeEach(() => {
    root = gitRepo({
      'libs/auth/project.json': '{ "name": "auth" }\n',
      'libs/auth/src/auth/login.ts': LOGIN,
      'libs/auth/src/auth/old.ts': 'old\n',
      '.gitignore': '.nx-worktree-ai/\n',
    });
    writeFiles(root, { 'notes.txt': 'my uncommitted notes\n' });
    worktreeDir = tempDir('nxwa-conflict-wt-');
    signals = tempDir('nxwa-conflict-signals-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
    removeDir(signals);
  });

  /** A batch whose agent announces it started, waits for "go", then runs `script` (fs is in scope). */
  function addBatch(name: string, script: string): void {
    const [started, go] = [join(signals, `${name}.started`), join(signals, `${name}.go`)];
    const body = `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(started)}, '1'); while (!fs.existsSync(${JSON.stringify(go)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); ${script}`;
    writeFiles(root, { [`libs/auth/ai/${name}.ai.md`]: `---\nagent: command\ncommand: [node, -e, ${JSON.stringify(body)}]\noutputs: [src/auth/**]\n---\nWork.\n` });
    git(root, 'add', `libs/auth/ai/${name}.ai.md`);
    git(root, 'commit', '-qm', `batch ${name}`);
  }

  /** Runs the batch; `midRun` is what the user does while its agent runs. */
  async function runWithEdit(name: string, midRun: () => void): Promise<{ success: boolean }> {
    const context = executorContext(root, { target: `ai-generate--${name}` });
    // The test's agent signals through files outside its worktree, which the OS sandbox would refuse.
    const running = generateExecutor({ batch: `libs/auth/ai/${name}.ai.md`, worktreeDir, sandbox: 'off' }, context);
    while (!existsSync(join(signals, `${name}.started`))) await delay(20);
    midRun();
    writeFileSync(join(signals, `${name}.go`), '1');
    return running;
  }

  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const result = (name: string): BatchResult => JSON.parse(read(`.nx-worktree-ai/auth/${name}/result.json`));

  /** The commands of a conflict message, without their comments, run one by one with bash in the workspace. */
  function runPrintedCommands(message: string): string[] {
    const block = message.split('To bring it in by hand, in the workspace:\n')[1].split('\nor run the batch again')[0];
    const commands = block.split('\n').map((l) => l.trim().replace(/\s{2,}# .*$/, ''));
    for (const command of commands) execFileSync('bash', ['-c', command], { cwd: root });
    return commands;
  }

  it('merges an edit to another part of a file 3-way', async () => {
    addBatch('merge', `fs.writeFileSync('libs/auth/src/auth/login.ts', 'line one\\nline two\\nline three, by the batch\\n');`);
    await expect(runWithEdit('merge', () => writeFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'line one, by you\nline two\nline three\n'))).resolves.toEqual({ success: true });
    expect(read('libs/auth/src/auth/login.ts')).toBe('line one, by you\nline two\nline three, by the batch\n');
    expect(logged.lines.join('\n')).toContain('[auth:merge] merged with your edits made during the run: libs/auth/src/auth/login.ts');
    expect(read('notes.txt')).toBe('my uncommitted notes\n');
  });

  it('fails on a clash, applies nothing, and prints git commands that bring the work in by hand', async () => {
    addBatch(
      'clash',
      `fs.writeFileSync('libs/auth/src/auth/login.ts', 'line one\\nline two\\nline three, by the batch\\n'); fs.writeFileSync('libs/auth/src/auth/new.ts', 'new\\n'); fs.rmSync('libs/auth/src/auth/old.ts');`,
    );
    const mine = 'line one\nline two\nline three, by you\n';
    await expect(runWithEdit('clash', () => writeFileSync(join(root, 'libs/auth/src/auth/login.ts'), mine))).resolves.toEqual({ success: false });

    const r = result('clash');
    expect(r.status).toBe('failed');
    // Never half-applied: the batch's other files are not there either.
    expect(read('libs/auth/src/auth/login.ts')).toBe(mine);
    expect(existsSync(join(root, 'libs/auth/src/auth/new.ts'))).toBe(false);
    expect(read('libs/auth/src/auth/old.ts')).toBe('old\n');
    // The work is on the branch.
    expect(git(root, 'show', 'ai/auth/clash:libs/auth/src/auth/new.ts')).toBe('new');
    // Stored before the integration, the result left the result cache again: a rerun asks the agent anew.
    expect(git(root, 'for-each-ref', 'refs/nx-worktree-ai/cache/')).toBe('');

    const message = logged.lines.find((l) => l.startsWith('[auth:clash] failed: '))!;
    expect(message).toContain("the workspace changed during the run and 1 file(s) conflict with the batch's result: libs/auth/src/auth/login.ts. Nothing was applied; the batch's work is on branch ai/auth/clash");
    const commit = r.commit!.slice(0, 12);
    expect(message).toContain(`git diff ${commit}~1 ${commit}    # what the batch changed`);
    // The branch commit says "failed" too, and is the one result.json and the message name.
    expect(git(root, 'rev-parse', 'ai/auth/clash')).toBe(r.commit);
    expect(git(root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Status,valueonly)', 'ai/auth/clash')).toBe('failed');
    expect(message).toContain('or run the batch again on top of your edits: npx nx run auth:ai-generate--clash --skip-nx-cache');

    const commands = runPrintedCommands(message);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    // login.ts: conflict markers with both sides; the other files as the batch made them; nothing else touched.
    expect(read('libs/auth/src/auth/login.ts')).toBe('line one\nline two\n<<<<<<< yours\nline three, by you\n=======\nline three, by the batch\n>>>>>>> batch\n');
    expect(read('libs/auth/src/auth/new.ts')).toBe('new\n');
    expect(existsSync(join(root, 'libs/auth/src/auth/old.ts'))).toBe(false);
    expect(read('notes.txt')).toBe('my uncommitted notes\n');
    expect(git(root, 'status', '--porcelain', '-uall', '--', 'libs/auth/src')).not.toMatch(/\.base|\.ai$/m);
  });

  it('names a file you deleted that the batch changed, and one the batch deleted that you changed', async () => {
    addBatch('deleted', `fs.writeFileSync('libs/auth/src/auth/login.ts', 'changed by the batch\\n'); fs.rmSync('libs/auth/src/auth/old.ts');`);
    await expect(
      runWithEdit('deleted', () => {
        rmSync(join(root, 'libs/auth/src/auth/login.ts'));
        writeFileSync(join(root, 'libs/auth/src/auth/old.ts'), 'old, edited by you\n');
      }),
    ).resolves.toEqual({ success: false });
    const message = logged.lines.find((l) => l.startsWith('[auth:deleted] failed: '))!;
    expect(message).toContain('2 file(s) conflict');
    expect(message).toMatch(/git checkout \w{12} -- libs\/auth\/src\/auth\/login\.ts {4}# you deleted libs\/auth\/src\/auth\/login\.ts, the batch changed it/);
    expect(message).toMatch(/rm -f -- libs\/auth\/src\/auth\/old\.ts {4}# the batch deleted libs\/auth\/src\/auth\/old\.ts, you changed it/);
    expect(existsSync(join(root, 'libs/auth/src/auth/login.ts'))).toBe(false);
    expect(read('libs/auth/src/auth/old.ts')).toBe('old, edited by you\n');
  });
});
