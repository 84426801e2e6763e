import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { captureConsoleEachTest } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import { shellQuote } from '../../utils/shell-quote';
import { WORKTREE_SUFFIX_PLACEHOLDER } from './dry-run';
import generateExecutor from './executor';
import type { BatchResult } from '../../results/result';

/** Everything a dry run must leave alone, down to git's object store and refs. */
function fullState(dir: string) {
  const objects = join(dir, '.git', 'objects');
  const loose = readdirSync(objects)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(objects, d)).map((f) => d + f))
    .sort();
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    index: readFileSync(join(dir, '.git', 'index')).toString('base64'),
    status: git(dir, 'status', '--porcelain=v1', '-uall', '--ignored'),
    refs: git(dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
    worktrees: git(dir, 'worktree', 'list', '--porcelain'),
    loose,
  };
}

function context(root: string, batch: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'auth',
    targetName: `ai-generate--${batch}`,
    projectsConfigurations: {
      version: 2,
      projects: { auth: { root: 'libs/auth', targets: { [`ai-generate--${batch}`]: { executor: 'nx-worktree-ai:generate', options: { batch: `libs/auth/ai/${batch}.ai.md` } } } } },
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as ExecutorContext;
}

// The agent prints the argv it was started with, then writes its output.
const SCRIPT = [
  `console.log('ARGV ' + JSON.stringify(process.argv.slice(1)));`,
  `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true });`,
  `require('fs').writeFileSync('libs/auth/src/auth/login.ts', 'export const login = () => true;\\n');`,
].join(' ');
const BATCH = `---\ndescription: dry\nagent: command\ncommand: [node, -e, ${JSON.stringify(SCRIPT)}, '{promptFile}']\noutputs: [src/auth/**]\nmaxTurns: 4\n---\nWrite the module.\n`;

describe('nx-worktree-ai:generate --dry-run', () => {
  const logged = captureConsoleEachTest();
  let root: string;
  let worktreeDir: string;

  beforeEach(() => {
    root = gitRepo({ 'libs/auth/project.json': '{ "name": "auth" }\n', 'libs/auth/ai/auth-module.ai.md': BATCH, '.gitignore': '.nx-worktree-ai/\n' });
    writeFiles(root, { 'scratch.txt': 'uncommitted\n' });
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  const exec = (extra: Record<string, unknown> = {}) =>
    generateExecutor({ batch: 'libs/auth/ai/auth-module.ai.md', worktreeDir, ...extra }, context(root, 'auth-module'));
  const printed = (key: string) => {
    const line = logged.lines.find((l) => l.startsWith(`[auth:auth-module]   ${key.padEnd(12)} `));
    if (!line) throw new Error(`no "${key}" line in:\n${logged.lines.join('\n')}`);
    return line.slice(`[auth:auth-module]   ${key.padEnd(12)} `.length);
  };

  it('prints the command, prompt, worktree, outputs guard and cache key; changes nothing, not even git objects', async () => {
    const before = fullState(root);
    await expect(exec({ dryRun: true })).resolves.toEqual({ success: true });
    expect(fullState(root)).toEqual(before);
    expect(readdirSync(worktreeDir)).toEqual([]);
    expect(existsSync(join(root, '.nx-worktree-ai'))).toBe(false);

    const argv = JSON.parse(printed('argv')) as string[];
    expect(argv.slice(1, 3)).toEqual(['-e', SCRIPT]);
    expect(argv[3]).toBe(join(worktreeDir, `auth--auth-module-${WORKTREE_SUFFIX_PLACEHOLDER}.prompt.md`));
    expect(printed('command')).toBe(argv.map(shellQuote).join(' '));
    expect(printed('cwd')).toContain(join(worktreeDir, `auth--auth-module-${WORKTREE_SUFFIX_PLACEHOLDER}`));
    expect(printed('branch')).toBe('ai/auth/auth-module');
    expect(printed('outputs')).toMatch(/^libs\/auth\/src\/auth\/\*\* \(scope guard/);
    expect(printed('result cache')).toBe('miss: a run would start the agent');
    expect(printed('no change')).toBe('a run whose agent changes no file fails (status "empty"); allowEmpty: true in the batch file accepts it');
    expect(logged.lines).toContain('[auth:auth-module]   | Write the module.');
    expect(logged.lines.some((l) => l.includes('| Create or change only files matching these paths'))).toBe(true);
    const key = printed('cache key');

    // The real run: same key, and the agent got the argv the dry run printed.
    await expect(exec()).resolves.toEqual({ success: true });
    const result = JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/result.json'), 'utf8')) as BatchResult;
    expect(result.status).toBe('succeeded');
    expect(result.cacheKey).toBe(key);
    const transcript = readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/transcript.jsonl'), 'utf8');
    const ran = JSON.parse(/ARGV (.*)/.exec(transcript)![1]) as string[];
    const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const [placeholderBefore, placeholderAfter] = argv[3].split(WORKTREE_SUFFIX_PLACEHOLDER);
    expect(ran).toHaveLength(1); // `node -e script file`: argv after node is [file]
    expect(ran[0]).toMatch(new RegExp(`^${escape(placeholderBefore)}[0-9a-f]{6}${escape(placeholderAfter)}$`));

    // Now a dry run sees the stored result: a run would replay it.
    logged.lines.length = 0;
    const after = fullState(root);
    await expect(exec({ dryRun: true })).resolves.toEqual({ success: true });
    expect(fullState(root)).toEqual(after);
    expect(printed('cache key')).toBe(key);
    expect(printed('result cache')).toMatch(new RegExp(`^HIT: a run would replay record ${git(root, 'rev-parse', `refs/nx-worktree-ai/cache/${key}`)}`));
  });

  it('under Nx with its cache on, prints the plan but reports failure so that Nx never stores a dry run', async () => {
    const env = { ...process.env };
    try {
      process.env.NX_TASK_HASH = '1234';
      delete process.env.NX_SKIP_NX_CACHE;
      const before = fullState(root);
      await expect(exec({ dryRun: true })).resolves.toEqual({ success: false });
      expect(fullState(root)).toEqual(before);
      expect(printed('result cache')).toBe('miss: a run would start the agent');
      expect(logged.lines.join('\n')).toContain('run it with --skip-nx-cache, e.g. nx run-many -t ai-generate --dry-run --skip-nx-cache --output-style=static');

      logged.lines.length = 0;
      process.env.NX_SKIP_NX_CACHE = 'true';
      await expect(exec({ dryRun: true })).resolves.toEqual({ success: true });
      expect(logged.lines.join('\n')).not.toContain('--skip-nx-cache');
    } finally {
      process.env = env;
    }
  });

  it('says what a run that changes no file would be under allowEmpty: true', async () => {
    writeFiles(root, { 'libs/auth/ai/auth-module.ai.md': BATCH.replace('maxTurns: 4\n', 'maxTurns: 4\nallowEmpty: true\n') });
    await expect(exec({ dryRun: true })).resolves.toEqual({ success: true });
    expect(printed('no change')).toBe('allowEmpty: true: a run whose agent changes no file succeeds (status "empty", never stored in the result cache)');
  });

  it('prints the verify command with {projectRoot} substituted, its timeout and the attempts; "none" without verify', async () => {
    await exec({ dryRun: true });
    expect(printed('verify')).toBe('none: the work is applied once it passes the guards above');
    logged.lines.length = 0;
    writeFiles(root, { 'libs/auth/ai/auth-module.ai.md': BATCH.replace('maxTurns: 4\n', "maxTurns: 4\nverify: [npx, vitest, run, '{projectRoot}/src']\nverifyTimeout: 2m\nsamplesAgents: [command, command]\n") });
    await exec({ dryRun: true });
    expect(printed('samples')).toBe(
      '2 at once (command, command), each in its own worktree on ai/auth/auth-module--sample-1, ai/auth/auth-module--sample-2; the first that passes verify is applied, the others are stopped',
    );
    expect(printed('verify')).toBe(
      'npx vitest run libs/auth/src in the worktree root after the agent (no shell, timeout 2m); up to 3 agent runs: while it fails, the session is resumed with its output to fix the work; work that fails it is never applied',
    );
  });

  it('says when a run would fail because the agent CLI is missing, and fails', async () => {
    writeFiles(root, { 'libs/auth/ai/auth-module.ai.md': BATCH.replace('[node, -e', '[no-such-agent-cli, -e') });
    await expect(exec({ dryRun: true })).resolves.toEqual({ success: false });
    expect(printed('agent')).toContain('"no-such-agent-cli" NOT FOUND');
    expect(logged.lines.join('\n')).toContain('a run would fail');
  });

  it("says whether claude's agent definition (claude.agent -> --agent) is in the workspace", async () => {
    writeFiles(root, { 'libs/auth/ai/auth-module.ai.md': '---\nagent: claude\nclaude:\n  agent: code-writer\noutputs: [src/auth/**]\n---\nWrite the module.\n' });
    await exec({ dryRun: true });
    expect(printed('agent def')).toBe(`.claude/agents/code-writer.md NOT FOUND in the workspace: claude looks for agent "code-writer" in the worktree's .claude/agents/ and in ~/.claude/agents/`);
    const argv = JSON.parse(printed('argv')) as string[];
    expect(argv.slice(argv.indexOf('--agent'), argv.indexOf('--agent') + 2)).toEqual(['--agent', 'code-writer']);

    logged.lines.length = 0;
    writeFiles(root, { '.claude/agents/code-writer.md': '---\nname: code-writer\n---\nYou write code.\n' });
    await exec({ dryRun: true });
    expect(printed('agent def')).toBe('.claude/agents/code-writer.md found in the workspace: claude runs as agent "code-writer" (--agent code-writer)');
  });

  it('redacts a credential in the printed command line (agentArgs)', async () => {
    const token = `sk-dry-${'9'.repeat(40)}`;
    process.env.DRY_RUN_TEST_TOKEN = token;
    try {
      await expect(exec({ dryRun: true, agentArgs: [`--token=${token}`] })).resolves.toEqual({ success: true });
    } finally {
      delete process.env.DRY_RUN_TEST_TOKEN;
    }
    expect(printed('command')).toContain('--token=[redacted:DRY_RUN_TEST_TOKEN]');
    expect(logged.lines.join('\n')).not.toContain('sk-dry-');
  });
});
