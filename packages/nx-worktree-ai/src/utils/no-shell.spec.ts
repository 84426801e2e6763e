import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { captureConsole, executorContext, type CapturedConsole } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';

/**
 * "No shell anywhere": every program the plugin starts (git, the agent CLIs, taskkill) gets an argv
 * array, never a command line a shell would parse. Two checks:
 * - static: no source file of the package uses a shell option, exec/execSync, or imports them;
 * - runtime: child_process is wrapped while the executor runs end to end (agent run, result-cache
 *   replay, apply: commit, a hostile name refused) and every call is recorded: none may ask for a shell.
 */

jest.setTimeout(120_000);

const SRC = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(ts|js|mjs|cjs)$/.test(name) && !/\.spec\.ts$/.test(name)) out.push(path);
  }
  return out;
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bshell\s*:/, 'a shell option'],
  [/\bexecSync\s*\(/, 'execSync('],
  [/(?<![.\w$])exec\s*\(/, 'exec( (child_process.exec runs a shell)'],
  [/child_process['"]\s*\)\s*\.\s*exec\b/, "require('child_process').exec"],
  [/import\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*['"](node:)?child_process['"]/, 'an import of exec/execSync'],
  [/\b(spawn|spawnSync|execFile|execFileSync)\s*\(\s*['"`](sh|bash|cmd|cmd\.exe|powershell|pwsh)['"`]/, 'a shell started by name'],
  [/['"`]\/bin\/(ba)?sh['"`]/, 'a path to a shell'],
];

describe('no shell: static scan of packages/nx-worktree-ai/src', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(files.some((f) => f.endsWith('worktree/git.ts'))).toBe(true);
  });

  it('uses no shell, exec or execSync in any source file', () => {
    const hits: string[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return; // comments may talk about shells
        for (const [pattern, what] of FORBIDDEN) if (pattern.test(line)) hits.push(`${relative(SRC, file)}:${i + 1}: ${what}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the scan itself catches what it should', () => {
    const bad = ["spawn('git', args, { shell: true })", "execSync('git status')", "exec('ls')", "import { exec } from 'node:child_process';", "require('child_process').exec('x')", "spawn('bash', ['-c', cmd])"];
    for (const line of bad) expect({ line, caught: FORBIDDEN.some(([p]) => p.test(line)) }).toEqual({ line, caught: true });
    const fine = ['FRONTMATTER.exec(text)', '/^x$/m.exec(block)', "spawn('git', ['status'], { cwd })", 'const shellish = 1'];
    for (const line of fine) expect({ line, caught: FORBIDDEN.some(([p]) => p.test(line)) }).toEqual({ line, caught: false });
  });
});

// --- runtime -------------------------------------------------------------------------------------

interface MockCall {
  fn: string;
  file: unknown;
  args: unknown;
  options: Record<string, unknown> | undefined;
}
const mockCalls: MockCall[] = [];

jest.mock('node:child_process', () => {
  const actual = jest.requireActual('node:child_process');
  const record = (fn: string) =>
    (...a: unknown[]) => {
      const hasArgs = Array.isArray(a[1]);
      const options = (hasArgs ? a[2] : a[1]) as Record<string, unknown> | undefined;
      mockCalls.push({ fn, file: a[0], args: hasArgs ? a[1] : undefined, options: options && typeof options === 'object' ? options : undefined });
      return actual[fn](...a);
    };
  return { ...actual, spawn: record('spawn'), spawnSync: record('spawnSync'), execFile: record('execFile'), execFileSync: record('execFileSync'), exec: record('exec'), execSync: record('execSync'), fork: record('fork') };
});

describe('no shell: every child process of an executor run', () => {
  let root: string;
  let worktreeDir: string;
  let captured: CapturedConsole;

  beforeEach(() => {
    const write = `require('fs').mkdirSync('libs/a/src', { recursive: true }); require('fs').writeFileSync('libs/a/src/x.ts', 'x\\n'); console.log('done')`;
    root = gitRepo({
      'libs/a/project.json': '{ "name": "a" }\n',
      'libs/a/src/x.ts': 'original\n',
      'libs/a/ai/ok.ai.md': `---\nagent: command\ncommand: [node, -e, ${JSON.stringify(write)}, '{promptFile}']\noutputs: [src/**]\n---\nWork; \`$(touch pwned)\` && rm -rf ~ ; echo "$HOME"\n`,
      '.gitignore': '.nx-worktree-ai/\n',
    });
    worktreeDir = tempDir('nxwa-noshell-wt-');
    captured = captureConsole();
  });
  afterEach(() => {
    captured.restore();
    removeDir(root);
    removeDir(worktreeDir);
  });

  it('starts git and the agent with argv arrays and no shell option', async () => {
    const { default: generateExecutor } = await import('../executors/generate/executor');
    const context = (project: string) =>
      executorContext(root, { project, projectRoot: 'libs/a', target: 'ai-generate--ok' });
    const before = mockCalls.length;
    // A run, a replay over an uncommitted edit, a run with apply: commit, a refused hostile name.
    await expect(generateExecutor({ batch: 'libs/a/ai/ok.ai.md', worktreeDir }, context('a'))).resolves.toEqual({ success: true });
    writeFiles(root, { 'libs/a/src/x.ts': 'edited\n' });
    await expect(generateExecutor({ batch: 'libs/a/ai/ok.ai.md', worktreeDir }, context('a'))).resolves.toEqual({ success: true });
    // Edited again, or the agent's write would change nothing (an "empty" run fails).
    writeFiles(root, { 'libs/a/src/x.ts': 'edited again\n' });
    await expect(generateExecutor({ batch: 'libs/a/ai/ok.ai.md', worktreeDir, resultCache: false, apply: 'commit' }, context('a'))).resolves.toEqual({ success: true });
    await expect(generateExecutor({ batch: 'libs/a/ai/ok.ai.md', worktreeDir }, context('--upload-pack=touch pwned'))).resolves.toEqual({ success: false });

    const calls = mockCalls.slice(before).filter((c) => !(c.fn === 'execFileSync' && c.file === 'git' && c.options?.env && (c.options.env as Record<string, string>).GIT_AUTHOR_NAME === 'Test'));
    expect(calls.length).toBeGreaterThan(30);
    expect(calls.filter((c) => c.fn === 'spawn' && c.file === 'git').length).toBeGreaterThan(20);
    expect(calls.some((c) => c.fn === 'spawn' && c.file !== 'git')).toBe(true); // the agent
    for (const c of calls) {
      expect({ fn: c.fn, file: c.file, shell: c.options?.shell ?? false }).toEqual({ fn: c.fn, file: c.file, shell: false });
      expect({ fn: c.fn, file: c.file, argv: Array.isArray(c.args) }).toEqual({ fn: c.fn, file: c.file, argv: true });
      expect(['exec', 'execSync']).not.toContain(c.fn);
    }
    // The prompt's shell syntax reached the agent as text, never ran.
    expect(git(root, 'status', '--porcelain', '-uall')).not.toContain('pwned');
  });
});
