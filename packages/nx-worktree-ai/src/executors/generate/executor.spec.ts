import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { captureConsoleEachTest, executorContext } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles, maxOverlap } from '@testing/temp';
import generateExecutor from './executor';
import { DEFAULT_PROMPT } from '../../generators/batch/schema';
import type { BatchResult } from '../../results/result';

/**
 * The executor end to end on a real git repository, with the `command` agent standing in for a
 * model-driven CLI (a node script that edits the worktree). The e2e suite does the same with Nx and
 * the real claude CLI.
 */
function batchFile(outputs: string[], script: string, extra = ''): string {
  return `---\ndescription: test batch\nagent: command\ncommand: [node, -e, ${JSON.stringify(script)}]\noutputs: [${outputs.join(', ')}]\n${extra}---\nWrite the module.\n`;
}

function context(root: string, project: string, targetName: string, batches: Record<string, string>): ExecutorContext {
  const targets = Object.fromEntries(
    Object.entries(batches).map(([name, file]) => [`ai-generate--${name}`, { executor: 'nx-worktree-ai:generate', options: { batch: file } }]),
  );
  return executorContext(root, { project, target: targetName, targets });
}

function readResult(root: string, project: string, batch: string): BatchResult {
  return JSON.parse(readFileSync(join(root, '.nx-worktree-ai', project, batch, 'result.json'), 'utf8'));
}

/** The Nx-Worktree-Ai-Status trailer of the branch's tip. */
function statusTrailerIn(root: string, branch: string): string {
  return git(root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Status,valueonly)', branch);
}

function userState(dir: string) {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    index: readFileSync(join(dir, '.git', 'index')).toString('base64'),
    status: git(dir, 'status', '--porcelain=v1', '-uall'),
  };
}

describe('nx-worktree-ai:generate with the command agent', () => {
  let root: string;
  let worktreeDir: string;
  const write = `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true }); require('fs').writeFileSync('libs/auth/src/auth/login.ts', 'export const login = () => true;\\n'); console.log('wrote login.ts');`;

  beforeEach(() => {
    root = gitRepo({
      'libs/auth/project.json': '{ "name": "auth" }\n',
      'libs/auth/ai/auth-module.ai.md': batchFile(['src/auth/**'], write),
      '.gitignore': '.nx-worktree-ai/\n',
    });
    worktreeDir = tempDir('nxwa-wt-');
    writeFiles(root, { 'scratch.txt': 'my unrelated uncommitted edit\n' });
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  const statusTrailer = (branch: string) => statusTrailerIn(root, branch);
  const run = (batch = 'auth-module', extra: Record<string, unknown> = {}) =>
    generateExecutor({ batch: `libs/auth/ai/${batch}.ai.md`, worktreeDir, ...extra }, context(root, 'auth', `ai-generate--${batch}`, { [batch]: `libs/auth/ai/${batch}.ai.md` }));

  it('runs the agent in a worktree, applies its change and writes a complete result.json', async () => {
    const before = userState(root);
    await expect(run()).resolves.toEqual({ success: true });
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = () => true;\n');
    const after = userState(root);
    expect(after.head).toBe(before.head);
    expect(after.index).toBe(before.index);
    expect(after.status).toBe('?? libs/auth/src/auth/login.ts\n?? scratch.txt'.replace('\n', '\n'));
    expect(readFileSync(join(root, 'scratch.txt'), 'utf8')).toBe('my unrelated uncommitted edit\n');

    const result = readResult(root, 'auth', 'auth-module');
    expect(result).toMatchObject({
      project: 'auth',
      batch: 'auth-module',
      status: 'succeeded',
      agent: 'command',
      branch: 'ai/auth/auth-module',
      filesChanged: ['libs/auth/src/auth/login.ts'],
      insertions: 1,
      deletions: 0,
      error: null,
    });
    expect(Object.keys(result).sort()).toEqual(
      ['project', 'batch', 'status', 'agent', 'agentVersion', 'model', 'sessionId', 'turns', 'tokens', 'costUsd', 'durationMs', 'startedAt', 'finishedAt', 'cacheKey', 'branch', 'commit', 'filesChanged', 'insertions', 'deletions', 'error', 'runId'].sort(),
    );
    expect(git(root, 'rev-parse', 'ai/auth/auth-module')).toBe(result.commit);
    expect(git(root, 'show', `${result.commit}:libs/auth/src/auth/login.ts`)).toContain('login');
    for (const artifact of ['transcript.jsonl', 'changes.patch', 'prompt.md']) {
      expect(existsSync(join(root, '.nx-worktree-ai/auth/auth-module', artifact))).toBe(true);
    }
    expect(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/transcript.jsonl'), 'utf8')).toContain('wrote login.ts');
    expect(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/prompt.md'), 'utf8')).toContain('Write the module.');
    expect(git(root, 'worktree', 'list')).not.toContain(worktreeDir);
    const timings = JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/timings.json'), 'utf8'));
    expect(Object.keys(timings.phases)).toEqual(['start', 'snapshot', 'worktree', 'agentVersion', 'prepare', 'slotWait', 'agent', 'collect', 'integrate', 'cleanup']);
    expect(timings.phases.agent).toBeGreaterThan(0);
    expect(timings.maxRssMb).toBeGreaterThan(10);
    // The plugin's CPU counts from loading the executor, inside the process's total.
    expect(timings.pluginCpuMs).toBeGreaterThan(0);
    expect(timings.pluginCpuMs).toBeLessThan(timings.cpuMs);
    // Each phase's CPU in this process, the same phases; their sum is part of the plugin's CPU.
    expect(Object.keys(timings.cpuPhases)).toEqual(Object.keys(timings.phases));
    const phaseCpu = Object.values(timings.cpuPhases as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(phaseCpu).toBeGreaterThan(0);
    expect(phaseCpu).toBeLessThanOrEqual(timings.pluginCpuMs + 1);
    expect(timings.pluginLoadCpuMs).toBeGreaterThan(0);
    expect(timings.pluginLoadCpuMs + phaseCpu).toBeLessThanOrEqual(timings.pluginCpuMs + 1);
    // The run's own git processes (snapshot, worktree, collect, commit, store, integrate, removal).
    expect(timings.gitProcesses).toBeGreaterThanOrEqual(10);
    expect(timings.gitProcesses).toBeLessThan(40);
  });

  it("counts each run's git processes, not the process's", async () => {
    const more = `require('fs').mkdirSync('libs/auth/src/more', { recursive: true }); require('fs').writeFileSync('libs/auth/src/more/more.ts', 'export const more = 1;\\n');`;
    writeFiles(root, { 'libs/auth/ai/auth-more.ai.md': batchFile(['src/more/**'], more) });
    const gitProcesses = (batch: string) => JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth', batch, 'timings.json'), 'utf8')).gitProcesses as number;
    await expect(run()).resolves.toEqual({ success: true });
    // A second batch of the same kind in the same process: about as many, not the sum of both.
    await expect(run('auth-more')).resolves.toEqual({ success: true });
    expect(gitProcesses('auth-more')).toBeGreaterThan(gitProcesses('auth-module') / 2);
    expect(gitProcesses('auth-more')).toBeLessThan(gitProcesses('auth-module') * 1.5);
  });

  it('replays from the result cache without running the agent', async () => {
    await run();
    const first = readResult(root, 'auth', 'auth-module');
    // The batch made the file; gone from the workspace, the replay brings it back.
    rmSync(join(root, 'libs/auth/src/auth/login.ts'));
    // The agent would now fail: a replay must not start it.
    await expect(run('auth-module', { agentBin: '/nonexistent/agent' })).resolves.toEqual({ success: true });
    const replayed = readResult(root, 'auth', 'auth-module');
    expect(replayed.status).toBe('replayed');
    expect(replayed.cacheKey).toBe(first.cacheKey);
    // The branch gets a commit of this run's snapshot with the cached outputs.
    expect(git(root, 'rev-parse', 'ai/auth/auth-module')).toBe(replayed.commit);
    expect(git(root, 'show', `${replayed.commit}:libs/auth/src/auth/login.ts`)).toBe(git(root, 'show', `${first.commit}:libs/auth/src/auth/login.ts`));
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = () => true;\n');
    // With the file still there, the snapshot already holds the result: the commit keeps its tree.
    await expect(run('auth-module', { agentBin: '/nonexistent/agent' })).resolves.toEqual({ success: true });
    const again = readResult(root, 'auth', 'auth-module').commit!;
    expect(git(root, 'rev-parse', `${again}^{tree}`)).toBe(git(root, 'rev-parse', `${again}^^{tree}`));
    expect(git(root, 'show', `${again}:libs/auth/src/auth/login.ts`)).toBe('export const login = () => true;');
    // Edited since, it is the user's: another replay keeps it and says so.
    writeFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'my edit\n');
    const info = jest.spyOn(console, 'info');
    await expect(run('auth-module', { agentBin: '/nonexistent/agent' })).resolves.toEqual({ success: true });
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('my edit\n');
    expect(info.mock.calls.map(([line]) => String(line))).toContain('[auth:auth-module] kept your version of libs/auth/src/auth/login.ts');
    info.mockRestore();
  });

  it('fails a batch that writes outside its outputs, applies nothing and keeps the work on the branch', async () => {
    const stray = `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true }); require('fs').writeFileSync('libs/auth/src/auth/ok.ts', '1'); require('fs').writeFileSync('package.json', '{}');`;
    writeFiles(root, { 'libs/auth/ai/stray.ai.md': batchFile(['src/auth/**'], stray) });
    const before = userState(root);
    await expect(run('stray')).resolves.toEqual({ success: false });
    expect(userState(root)).toEqual(before);
    expect(existsSync(join(root, 'libs/auth/src/auth/ok.ts'))).toBe(false);
    const result = readResult(root, 'auth', 'stray');
    expect(result.status).toBe('failed');
    expect(result.error).toContain('package.json');
    expect(result.error).toContain('ai/auth/stray');
    expect(git(root, 'show', 'ai/auth/stray:package.json')).toBe('{}');
    // The branch commit's status trailer says what result.json says.
    expect(git(root, 'rev-parse', 'ai/auth/stray')).toBe(result.commit);
    expect(statusTrailer('ai/auth/stray')).toBe('failed');
  });

  it('fails a batch whose agent changed no file (status "empty"), says where to look, and stores nothing', async () => {
    writeFiles(root, { 'libs/auth/ai/idle.ai.md': batchFile(['src/auth/**'], `console.log('nothing to do')`) });
    const before = userState(root);
    await expect(run('idle')).resolves.toEqual({ success: false });
    expect(userState(root)).toEqual(before);
    const result = readResult(root, 'auth', 'idle');
    expect(result).toMatchObject({ status: 'empty', filesChanged: [] });
    expect(result.error).toContain('the agent changed no file');
    expect(result.error).toContain('.nx-worktree-ai/auth/idle/transcript.jsonl');
    expect(result.error).toContain('allowEmpty: true in libs/auth/ai/idle.ai.md');
    expect(statusTrailer('ai/auth/idle')).toBe('empty');
    expect(git(root, 'for-each-ref', 'refs/nx-worktree-ai/cache/')).toBe('');
  });

  it('with allowEmpty: true a run that changed no file succeeds as "empty", and is still not stored', async () => {
    writeFiles(root, { 'libs/auth/ai/idle.ai.md': batchFile(['src/auth/**'], `console.log('nothing to do')`, 'allowEmpty: true\n') });
    await expect(run('idle')).resolves.toEqual({ success: true });
    expect(readResult(root, 'auth', 'idle')).toMatchObject({ status: 'empty', error: null, filesChanged: [] });
    expect(statusTrailer('ai/auth/idle')).toBe('empty');
    expect(git(root, 'for-each-ref', 'refs/nx-worktree-ai/cache/')).toBe('');
  });

  it("refuses the batch generator's placeholder prompt before anything runs", async () => {
    const agentRan = join(worktreeDir, 'agent-ran');
    writeFiles(root, { 'libs/auth/ai/todo.ai.md': batchFile(['src/**'], `require('fs').writeFileSync(${JSON.stringify(agentRan)}, '1')`).replace('Write the module.\n', DEFAULT_PROMPT) });
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await expect(run('todo')).resolves.toEqual({ success: false });
    const message = logged.mock.calls.map((c) => c.join(' ')).join('\n');
    logged.mockRestore();
    expect(message).toContain('[auth:todo] refused before anything ran: libs/auth/ai/todo.ai.md still holds the placeholder prompt');
    expect(existsSync(agentRan)).toBe(false);
    expect(readdirSync(worktreeDir)).toEqual([]);
    expect(git(root, 'branch', '--list', 'ai/auth/todo')).toBe('');
    expect(existsSync(join(root, '.nx-worktree-ai/auth/todo'))).toBe(false);
  });

  it('fails without touching the workspace when the agent fails', async () => {
    writeFiles(root, { 'libs/auth/ai/broken.ai.md': batchFile(['src/**'], `require('fs').writeFileSync('libs/auth/half.ts', '1'); process.exit(3)`) });
    const before = userState(root);
    await expect(run('broken')).resolves.toEqual({ success: false });
    expect(userState(root)).toEqual(before);
    expect(readResult(root, 'auth', 'broken').status).toBe('failed');
    expect(git(root, 'show', 'ai/auth/broken:libs/auth/half.ts')).toBe('1');
  });

  it('names the file and key of a bad batch file', async () => {
    writeFiles(root, { 'libs/auth/ai/bad.ai.md': '---\nagent: nope\noutputs: [src/**]\n---\nx\n' });
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    await expect(run('bad')).resolves.toEqual({ success: false });
    spy.mockRestore();
    expect(errors.join('\n')).toMatch(/libs\/auth\/ai\/bad\.ai\.md[\s\S]*key "agent": got "nope"; expected one of "claude"/);
  });

  it('caps concurrent agent sessions across batches with agentConcurrency', async () => {
    // Not beside the worktrees: the integrity check treats new files there as the agent's doing.
    const logDir = tempDir('nxwa-sessions-');
    const log = join(logDir, 'sessions.log');
    const names = ['c1', 'c2', 'c3', 'c4'];
    const session = (name: string) =>
      `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(log)}, '+\\n'); setTimeout(() => { fs.mkdirSync('libs/auth/${name}', { recursive: true }); fs.writeFileSync('libs/auth/${name}/x.ts', '1'); fs.appendFileSync(${JSON.stringify(log)}, '-\\n'); }, 400);`;
    writeFiles(root, Object.fromEntries(names.map((n) => [`libs/auth/ai/${n}.ai.md`, batchFile([`${n}/**`], session(n))])));
    // The agents record their overlap in files outside their worktrees: unconfined (sandbox: off).
    const results = await Promise.all(names.map((n) => run(n, { agentConcurrency: { command: 2 }, sandbox: 'off' })));
    expect(results).toEqual(names.map(() => ({ success: true })));
    expect(maxOverlap(log)).toBe(2);
    for (const n of names) expect(readFileSync(join(root, `libs/auth/${n}/x.ts`), 'utf8')).toBe('1');
    removeDir(logDir);
  }, 60_000);

  it('fails a batch whose agent CLI cannot tell its version, and leaves no worktree and the workspace as it was', async () => {
    const fakeClaude = join(worktreeDir, 'broken-claude');
    writeFileSync(fakeClaude, '#!/bin/sh\necho "needs an update" >&2\nexit 3\n', { mode: 0o755 });
    writeFiles(root, { 'libs/auth/ai/versionless.ai.md': '---\ndescription: v\nagent: claude\noutputs: [src/auth/**]\n---\nWrite it.\n' });
    const before = userState(root);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await expect(run('versionless', { agentBin: fakeClaude })).resolves.toEqual({ success: false });
      expect(logged.mock.calls.flat().join('\n')).toMatch(/broken-claude --version` failed \(exit code 3\): needs an update/);
    } finally {
      logged.mockRestore();
    }
    expect(userState(root).status).toBe(before.status);
    expect(git(root, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
    expect(readdirSync(worktreeDir).filter((name) => name !== 'broken-claude' && name !== '.nx-worktree-ai')).toEqual([]);
  });

  it('runs setupCommand in the worktree before the agent; a failing setup fails the batch with a result.json', async () => {
    const agent = `const fs = require('fs'); fs.mkdirSync('libs/auth/src/auth', { recursive: true }); fs.writeFileSync('libs/auth/src/auth/setup-seen.txt', String(fs.existsSync('setup-ran')));`;
    writeFiles(root, { 'libs/auth/ai/with-setup.ai.md': batchFile(['src/auth/**'], agent) });
    // What the setup made (here a file outside the outputs) is not the agent's change: not guarded, not applied.
    await expect(run('with-setup', { setupCommand: ['node', '-e', "require('fs').writeFileSync('setup-ran', '')"] })).resolves.toEqual({ success: true });
    expect(existsSync(join(root, 'setup-ran'))).toBe(false);
    expect(readFileSync(join(root, 'libs/auth/src/auth/setup-seen.txt'), 'utf8')).toBe('true');
    await expect(run('with-setup', { setupCommand: ['node', '-e', 'process.exit(4)'], resultCache: false })).resolves.toEqual({ success: false });
    const failed = readResult(root, 'auth', 'with-setup');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/setup command `node -e process.exit\(4\)` exited with code 4/);
  });

  it('checks out only the project closure in a sparse worktree and applies the result to the full workspace', async () => {
    writeFiles(root, { 'libs/other/project.json': '{ "name": "other" }', 'libs/other/big.ts': 'x', 'libs/dep/project.json': '{ "name": "dep" }', 'libs/dep/index.ts': 'd' });
    const agent = `const fs = require('fs'); fs.mkdirSync('libs/auth/src/auth', { recursive: true }); fs.writeFileSync('libs/auth/src/auth/seen.txt', ['libs/other', 'libs/dep', 'README.md'].map((p) => p + ':' + fs.existsSync(p)).join(' '));`;
    writeFiles(root, { 'libs/auth/ai/sparse.ai.md': batchFile(['src/auth/**'], agent), 'README.md': 'root config\n' });
    const ctx = context(root, 'auth', 'ai-generate--sparse', { sparse: 'libs/auth/ai/sparse.ai.md' });
    ctx.projectsConfigurations.projects.other = { root: 'libs/other' };
    ctx.projectsConfigurations.projects.dep = { root: 'libs/dep' };
    ctx.projectGraph = { nodes: {}, dependencies: { auth: [{ source: 'auth', target: 'dep', type: 'static' }, { source: 'auth', target: 'npm:zod', type: 'static' }] } } as never;
    await expect(generateExecutor({ batch: 'libs/auth/ai/sparse.ai.md', worktreeDir, sparse: 'always' }, ctx)).resolves.toEqual({ success: true });
    expect(readFileSync(join(root, 'libs/auth/src/auth/seen.txt'), 'utf8')).toBe('libs/other:false libs/dep:true README.md:true');
    expect(readFileSync(join(root, 'libs/other/big.ts'), 'utf8')).toBe('x');
    expect(readResult(root, 'auth', 'sparse').filesChanged).toEqual(['libs/auth/src/auth/seen.txt']);
  });
});

describe('nx-worktree-ai:generate: retries and resume', () => {
  const logged = captureConsoleEachTest();
  let root: string;
  let worktreeDir: string;
  let scratch: string;

  beforeEach(() => {
    root = gitRepo({ 'libs/auth/project.json': '{ "name": "auth" }\n', '.gitignore': '.nx-worktree-ai/\nnode_modules/\n.env\n' });
    writeFiles(root, { 'node_modules/dep/index.js': 'module.exports = 1;\n', '.env': 'TOKEN=x\n' });
    worktreeDir = tempDir('nxwa-wt-');
    scratch = tempDir('nxwa-scratch-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
    removeDir(scratch);
  });

  const run = (batch: string, extra: Record<string, unknown> = {}) =>
    generateExecutor(
      // The test's agents count their runs in a file outside their worktree: unconfined (sandbox: off).
      { batch: `libs/auth/ai/${batch}.ai.md`, worktreeDir, copyFiles: ['.env'], retryDelay: '1ms', sandbox: 'off', ...extra },
      context(root, 'auth', `ai-generate--${batch}`, { [batch]: `libs/auth/ai/${batch}.ai.md` }),
    );

  /** A command that counts its runs in a file and fails rate limited for the first `failures` of them. */
  function flaky(failures: number, stderr = 'Error: 429 Too Many Requests: rate limit exceeded'): string {
    const counter = join(scratch, 'runs');
    return [
      `const fs = require('fs');`,
      `const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;`,
      `fs.writeFileSync(${JSON.stringify(counter)}, String(n));`,
      `fs.mkdirSync('libs/auth/src/auth', { recursive: true });`,
      `if (!fs.existsSync('node_modules/dep/index.js') || !fs.existsSync('.env')) { console.error('prepared files gone'); process.exit(2); }`,
      `if (fs.existsSync('libs/auth/src/auth/partial.ts') || fs.existsSync('stray.txt')) { console.error('worktree not reset'); process.exit(3); }`,
      `if (n <= ${failures}) { fs.writeFileSync('libs/auth/src/auth/partial.ts', 'half'); fs.writeFileSync('stray.txt', 'x'); console.error(${JSON.stringify(stderr)}); process.exit(1); }`,
      `fs.writeFileSync('libs/auth/src/auth/login.ts', 'export const login = ' + n + ';\\n');`,
    ].join(' ');
  }
  const runs = () => Number(readFileSync(join(scratch, 'runs'), 'utf8'));

  it('retries a rate-limited run from a clean worktree (prepared files kept) and says so', async () => {
    writeFiles(root, { 'libs/auth/ai/flaky.ai.md': batchFile(['src/auth/**'], flaky(1)) });
    await expect(run('flaky')).resolves.toEqual({ success: true });
    expect(runs()).toBe(2);
    expect(logged.lines.filter((l) => l.includes(' retry '))).toEqual([expect.stringMatching(/^\[auth:flaky\] retry 2\/3 in \d+ms \(rate limited\)$/)]);
    const result = readResult(root, 'auth', 'flaky');
    expect(result).toMatchObject({ status: 'succeeded', filesChanged: ['libs/auth/src/auth/login.ts'] });
    expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 2;\n');
    expect(existsSync(join(root, 'libs/auth/src/auth/partial.ts'))).toBe(false);
    const transcript = readFileSync(join(root, '.nx-worktree-ai/auth/flaky/transcript.jsonl'), 'utf8');
    expect(transcript).toContain('{"type":"nx-worktree-ai","event":"retry","attempt":2,"of":3,"after":"rate-limited"');
  });

  it('gives up after retries + 1 attempts and says how to try longer', async () => {
    writeFiles(root, { 'libs/auth/ai/flaky.ai.md': batchFile(['src/auth/**'], flaky(9, 'API Error: 529 overloaded_error')) });
    await expect(run('flaky', { retries: 1 })).resolves.toEqual({ success: false });
    expect(runs()).toBe(2);
    expect(logged.lines.filter((l) => l.includes(' retry '))).toEqual([expect.stringMatching(/retry 2\/2 in \d+ms \(overloaded\)$/)]);
    expect(readResult(root, 'auth', 'flaky').error).toMatch(
      /^the batch command's model API is overloaded \(.*\): usually temporary, run the batch again later \(gave up after 2 attempts; the executor options retries and retryDelay set how long it tries\)$/,
    );
  });

  it('does not retry other failures, nor when retries is 0', async () => {
    writeFiles(root, { 'libs/auth/ai/flaky.ai.md': batchFile(['src/auth/**'], flaky(9, 'TypeError: boom')) });
    await expect(run('flaky')).resolves.toEqual({ success: false });
    expect(runs()).toBe(1);
    writeFiles(root, { 'libs/auth/ai/limited.ai.md': batchFile(['src/auth/**'], flaky(99)) });
    await expect(run('limited', { retries: 0 })).resolves.toEqual({ success: false });
    expect(runs()).toBe(2);
    expect(logged.lines.some((l) => l.includes(' retry '))).toBe(false);
  });

  describe('resume', () => {
    /** Stands in for claude: records its argv, remembers nothing, writes files, speaks stream-json. */
    function fakeClaude(): string {
      const file = join(scratch, 'claude');
      writeFileSync(
        file,
        `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
if (args[0] === '--version') { console.log('2.1.330 (Claude Code)'); process.exit(0); }
fs.appendFileSync(${JSON.stringify(join(scratch, 'argv.jsonl'))}, JSON.stringify(args) + '\\n');
const out = (o) => console.log(JSON.stringify(o));
const resume = args.includes('--resume') ? args[args.indexOf('--resume') + 1] : null;
out({ type: 'system', subtype: 'init', session_id: resume || 'sess-1', cwd: process.cwd(), model: 'fake' });
fs.mkdirSync('libs/auth/src/auth', { recursive: true });
if (!resume) {
  fs.writeFileSync('libs/auth/src/auth/login.ts', 'export const login = 1;\\n');
  out({ type: 'result', subtype: 'error_max_turns', is_error: true, num_turns: 2, session_id: 'sess-1', total_cost_usd: 0.01, usage: { input_tokens: 10, output_tokens: 5 } });
  process.exit(1);
}
fs.writeFileSync('libs/auth/src/auth/logout.ts', 'export const loginWasThere = ' + fs.existsSync('libs/auth/src/auth/login.ts') + ';\\n');
out({ type: 'result', subtype: 'success', is_error: false, num_turns: 1, session_id: resume, total_cost_usd: 0.002, usage: { input_tokens: 20, output_tokens: 7 } });
`,
        { mode: 0o755 },
      );
      return file;
    }
    const claudeBatch = '---\nagent: claude\noutputs: [src/auth/**]\nmaxTurns: 2\n---\nWrite login and logout.\n';

    it("continues the last session with --resume <sessionId> and the last run's work restored", async () => {
      writeFiles(root, { 'libs/auth/ai/session.ai.md': claudeBatch });
      const agentBin = fakeClaude();
      await expect(run('session', { agentBin })).resolves.toEqual({ success: false });
      const first = readResult(root, 'auth', 'session');
      expect(first).toMatchObject({ status: 'failed', sessionId: 'sess-1', turns: 2, costUsd: 0.01, filesChanged: ['libs/auth/src/auth/login.ts'] });
      expect(first.error).toMatch(/^claude hit its turn limit/);
      expect(existsSync(join(root, 'libs/auth/src/auth/login.ts'))).toBe(false);

      await expect(run('session', { agentBin, resume: true })).resolves.toEqual({ success: true });
      const argv = readFileSync(join(scratch, 'argv.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
      expect(argv[0]).not.toContain('--resume');
      expect(argv[1].slice(argv[1].indexOf('--resume'), argv[1].indexOf('--resume') + 2)).toEqual(['--resume', 'sess-1']);
      expect(logged.lines).toContain('[auth:session] resuming session sess-1 with its work restored (1 file(s))');
      const second = readResult(root, 'auth', 'session');
      expect(second).toMatchObject({ status: 'succeeded', sessionId: 'sess-1', turns: 1, costUsd: 0.002, tokens: { input: 20, output: 7 } });
      expect(second.filesChanged).toEqual(['libs/auth/src/auth/login.ts', 'libs/auth/src/auth/logout.ts']);
      expect(readFileSync(join(root, 'libs/auth/src/auth/logout.ts'), 'utf8')).toBe('export const loginWasThere = true;\n');
      expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('export const login = 1;\n');

      // Resumed once more, the session changes nothing new: its work is in the workspace already, which is no "empty" run.
      await expect(run('session', { agentBin, resume: true })).resolves.toEqual({ success: true });
      expect(readResult(root, 'auth', 'session')).toMatchObject({ status: 'succeeded', filesChanged: [] });
    });

    it('refuses to restore over files the user changed since, naming them', async () => {
      writeFiles(root, { 'libs/auth/ai/session.ai.md': claudeBatch });
      const agentBin = fakeClaude();
      await run('session', { agentBin });
      writeFiles(root, { 'libs/auth/src/auth/login.ts': 'my own login\n' });
      await expect(run('session', { agentBin, resume: true })).resolves.toEqual({ success: false });
      expect(readResult(root, 'auth', 'session').error).toMatch(/^resume: libs\/auth\/src\/auth\/login\.ts changed in the workspace since the last run of auth:session/);
      expect(readFileSync(join(root, 'libs/auth/src/auth/login.ts'), 'utf8')).toBe('my own login\n');
    });

    it('says there is nothing to resume without an earlier session', async () => {
      writeFiles(root, { 'libs/auth/ai/fresh.ai.md': claudeBatch });
      await expect(run('fresh', { agentBin: fakeClaude(), resume: true })).resolves.toEqual({ success: false });
      expect(logged.lines.join('\n')).toContain('[auth:fresh] failed: resume: .nx-worktree-ai/auth/fresh/result.json does not exist or is not JSON: there is no earlier run of auth:fresh to continue; run it without --resume');
      writeFiles(root, { 'libs/auth/ai/cmd.ai.md': batchFile(['src/**'], `console.log(1)`) });
      await run('cmd');
      await expect(run('cmd', { resume: true })).resolves.toEqual({ success: false });
      expect(logged.lines.join('\n')).toContain('recorded no session id');
    });
  });
});
