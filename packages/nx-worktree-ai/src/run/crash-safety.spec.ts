import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecutorContext } from '@nx/devkit';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import { readRepoInfo } from '../worktree/repo';
import { FAULT_KILL_AFTER_WRITES } from '../worktree/journal';
import { recoverStaleRuns } from '../recovery/recover';
import { groupMembers, listRuns, type RunRecord } from '../worktree/runs';
import generateExecutor from '../executors/generate/executor';
import { sandboxTool } from '../sandbox/available';

/**
 * Crash safety of the executor with real processes and no Nx: a run in a child process (tsx) is
 * SIGKILLed or SIGINTed while its agent (the `command` agent: a node script that writes a file and
 * then hangs) runs. The fault suite (faults/) does the same through Nx with the real claude CLI.
 */
// The loader itself, not the tsx CLI: a signal must reach the process that runs the executor.
const tsxLoader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const HANG = `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true }); require('fs').writeFileSync('libs/auth/src/auth/partial.ts', 'export const partial = 1;\\n'); console.log('wrote partial.ts'); setInterval(() => {}, 1000);`;
const WRITE = `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true }); require('fs').writeFileSync('libs/auth/src/auth/login.ts', 'export const login = () => true;\\n');`;

function batchFile(script: string): string {
  return `---\ndescription: test batch\nagent: command\ncommand: [node, -e, ${JSON.stringify(script)}]\noutputs: [src/auth/**]\n---\nWrite the module.\n`;
}

function context(root: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'auth',
    targetName: 'ai-generate--auth-module',
    projectsConfigurations: {
      version: 2,
      projects: { auth: { root: 'libs/auth', targets: { 'ai-generate--auth-module': { executor: 'nx-worktree-ai:generate', options: { batch: 'libs/auth/ai/auth-module.ai.md' } } } } },
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as ExecutorContext;
}

function userState(dir: string) {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    index: readFileSync(join(dir, '.git', 'index')).toString('base64'),
    status: git(dir, 'status', '--porcelain=v1', '-uall'),
    files: git(dir, 'ls-files', '-s'),
  };
}

describe('crash safety of a batch run (real processes, command agent)', () => {
  let root: string;
  let worktreeDir: string;
  let scratch: string;
  let child: ChildProcess | undefined;
  let agentGroup: number | undefined;

  beforeEach(() => {
    root = gitRepo({
      'libs/auth/project.json': '{ "name": "auth" }\n',
      'libs/auth/ai/auth-module.ai.md': batchFile(HANG),
      '.gitignore': '.nx-worktree-ai/\n',
    });
    writeFileSync(join(root, 'notes.txt'), 'my uncommitted notes\n');
    worktreeDir = tempDir('nxwa-crash-wt-');
    scratch = tempDir('nxwa-crash-');
  });
  afterEach(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (agentGroup && groupMembers(agentGroup).length) process.kill(-agentGroup, 'SIGKILL');
    removeDir(root);
    removeDir(worktreeDir);
    removeDir(scratch);
  });

  /** Starts the executor in a child process. */
  function spawnRun(env: Record<string, string> = {}, options: Record<string, unknown> = {}): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
    const script = join(scratch, 'run.ts');
    writeFileSync(
      script,
      `import generateExecutor from ${JSON.stringify(resolve(__dirname, '../executors/generate/executor'))};
const context = ${JSON.stringify(context(root))};
generateExecutor({ batch: 'libs/auth/ai/auth-module.ai.md', worktreeDir: ${JSON.stringify(worktreeDir)}, ...${JSON.stringify(options)} }, context).then((r) => {
  console.log('RESULT ' + JSON.stringify(r));
});
`,
    );
    const started = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child = started;
    let output = '';
    started.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    started.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => started.on('close', (code, signal) => done({ code, signal })));
    return { child: started, output: () => output, exited };
  }

  /** Starts the executor in a child process; resolves once its agent runs and wrote its file. */
  async function startRun(options: Record<string, unknown> = {}): Promise<{ child: ChildProcess; record: RunRecord; output: () => string; exited: Promise<unknown> }> {
    const { child: started, output, exited } = spawnRun({}, options);
    const repo = await readRepoInfo(root);
    for (let i = 0; i < 600; i++) {
      const record = listRuns(repo)[0]?.record;
      agentGroup = record?.agent?.pid;
      if (record?.agent && record.worktree && existsSync(join(record.worktree, 'libs/auth/src/auth/partial.ts'))) return { child: started, record, output, exited };
      await delay(50);
    }
    throw new Error(`the run never reached its agent:\n${output()}`);
  }

  // Unconfined, the agent's own process group outlives the killed run; confined, bwrap's
  // --die-with-parent takes the agent with it. Either way the next run cleans up and keeps the work.
  it.each([
    ['off', 'the next run stops the orphaned agent'],
    ['required', 'the sandboxed agent dies with it'],
  ] as const)('SIGKILL of the run (sandbox: %s): %s, its work is kept on the branch, the next run cleans up and succeeds', async (sandbox, _how) => {
    if (sandbox === 'required' && !sandboxTool().available) return;
    const before = userState(root);
    const { child: run, record, exited } = await startRun({ sandbox });
    run.kill('SIGKILL');
    await exited;
    if (sandbox === 'off') {
      expect(groupMembers(record.agent!.pid).length).toBeGreaterThan(0);
    } else {
      for (let i = 0; i < 100 && groupMembers(record.agent!.pid).length; i++) await delay(50);
      expect(groupMembers(record.agent!.pid)).toEqual([]);
    }
    expect(userState(root)).toEqual(before);

    writeFileSync(join(root, 'libs/auth/ai/auth-module.ai.md'), batchFile(WRITE));
    const logs: string[] = [];
    const spy = jest.spyOn(console, 'info').mockImplementation((...args) => void logs.push(args.join(' ')));
    const result = await generateExecutor({ batch: 'libs/auth/ai/auth-module.ai.md', worktreeDir, sandbox }, context(root));
    spy.mockRestore();
    expect(result).toEqual({ success: true });
    expect(logs.join('\n')).toContain('cleaning up after auth:auth-module');

    expect(groupMembers(record.agent!.pid)).toEqual([]);
    expect(existsSync(record.worktree!)).toBe(false);
    expect(readdirSync(worktreeDir)).toEqual([]);
    expect(listRuns(await readRepoInfo(root))).toEqual([]);
    expect(git(root, 'worktree', 'list').split('\n')).toHaveLength(1);
    // The killed agent's unfinished work: kept (it was on ai/auth/auth-module, which the new run moved to ai-kept/...).
    const kept = git(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/ai-kept/').split('\n').filter(Boolean);
    expect(kept).toHaveLength(1);
    expect(git(root, 'show', `${kept[0]}:libs/auth/src/auth/partial.ts`)).toBe('export const partial = 1;');
    // The new run's result is applied; nothing else of the user's changed.
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = () => true;\n');
    expect(existsSync(join(root, 'libs/auth/src/auth/partial.ts'))).toBe(false);
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('my uncommitted notes\n');
    const after = userState(root);
    expect({ head: after.head, index: after.index, files: after.files }).toEqual({ head: before.head, index: before.index, files: before.files });
  }, 60_000);

  // "to the run": a terminal's Ctrl-C or a kill of the executor. "to the run and its agent": how Nx
  // stops a task, a signal to every process of its tree at once, so the agent may exit on it (143)
  // before the run has seen its own.
  it.each([
    ['SIGINT', 'the run'],
    ['SIGTERM', 'the run'],
    ['SIGTERM', 'the run and its agent'],
  ] as const)('%s to %s during the agent: recorded as "interrupted"; the agent group is stopped, nothing is applied, the worktree and the registry entry go, the work stays on the branch', async (signal, to) => {
    const before = userState(root);
    const { child: run, record, output, exited } = await startRun();
    const t0 = Date.now();
    if (to === 'the run and its agent') process.kill(-record.agent!.pid, signal);
    run.kill(signal);
    await exited;
    const elapsed = Date.now() - t0;
    expect(groupMembers(record.agent!.pid)).toEqual([]);
    expect(elapsed).toBeLessThan(5000);
    expect(output()).toMatch(/RESULT \{"success":false\}/);
    expect(output()).toContain('interrupted');
    expect(userState(root)).toEqual(before);
    expect(existsSync(record.worktree!)).toBe(false);
    expect(existsSync(`${record.worktree}.prompt.md`)).toBe(false);
    expect(listRuns(await readRepoInfo(root))).toEqual([]);
    expect(git(root, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(git(root, 'show', 'ai/auth/auth-module:libs/auth/src/auth/partial.ts')).toBe('export const partial = 1;');
    const result = JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/result.json'), 'utf8'));
    expect(result).toMatchObject({ status: 'interrupted', error: expect.stringContaining(`interrupted by ${signal} while the agent ran: nothing was applied`) });
    expect(result.error).not.toMatch(/exited with code|killed by/);
    // The branch commit says the same as result.json.
    expect(git(root, 'rev-parse', 'ai/auth/auth-module')).toBe(result.commit);
    expect(git(root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Status,valueonly)', 'ai/auth/auth-module')).toBe('interrupted');
  }, 60_000);

  it('SIGKILL in the middle of integration: recovery puts every file back, the work stays on the branch', async () => {
    const three = `const fs = require('fs'); fs.mkdirSync('libs/auth/src/auth', { recursive: true }); for (const f of ['a', 'b', 'c']) fs.writeFileSync('libs/auth/src/auth/' + f + '.ts', 'export const ' + f + ' = 1;\\n');`;
    writeFileSync(join(root, 'libs/auth/ai/auth-module.ai.md'), batchFile(three));
    const before = userState(root);
    const { exited, output } = spawnRun({ [FAULT_KILL_AFTER_WRITES]: '1' });
    const { signal } = await exited;
    expect({ signal, output: signal ? '' : output() }).toEqual({ signal: 'SIGKILL', output: '' });
    // Killed mid-integration: one of the three files is in the workspace.
    const written = ['a', 'b', 'c'].filter((f) => existsSync(join(root, `libs/auth/src/auth/${f}.ts`)));
    expect(written).toHaveLength(1);

    const repo = await readRepoInfo(root);
    const report = await recoverStaleRuns(repo);
    expect(report.restored).toEqual([`libs/auth/src/auth/${written[0]}.ts`]);
    expect(userState(root)).toEqual(before);
    expect(existsSync(join(root, 'libs/auth/src/auth'))).toBe(false);
    expect(listRuns(repo)).toEqual([]);
    expect(git(root, 'show', 'ai/auth/auth-module:libs/auth/src/auth/c.ts')).toBe('export const c = 1;');
  }, 60_000);
});
