import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { executorContext } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import { createNodes } from '../../plugin/create-nodes';
import generateExecutor from './executor';

// Real git and real processes; slow on a loaded machine.
jest.setTimeout(120_000);

/**
 * Hostile names and paths are refused before anything runs: no agent started, no branch, no
 * worktree, no artifact, no workspace change. The marker file proves the agent never ran.
 */
describe('hostile names and paths are refused before anything runs', () => {
  let root: string;
  let worktreeDir: string;
  let marker: string;
  let errors: string[];
  let spy: jest.SpyInstance;

  const agentScript = () => `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
  const batchFile = (outputs = '[src/**]', extra = '') =>
    `---\nagent: command\ncommand: [node, -e, ${JSON.stringify(agentScript())}]\noutputs: ${outputs}\n${extra}---\nWork.\n`;

  beforeEach(() => {
    worktreeDir = tempDir('nxwa-hostile-wt-');
    marker = join(worktreeDir, 'agent-ran');
    root = gitRepo({ 'libs/a/project.json': '{ "name": "a" }\n', 'libs/a/ai/ok.ai.md': batchFile(), '.gitignore': '.nx-worktree-ai/\n' });
    errors = [];
    spy = jest.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
  });
  afterEach(() => {
    spy.mockRestore();
    removeDir(root);
    removeDir(worktreeDir);
  });

  function context(project: string, batchPath: string): ExecutorContext {
    return executorContext(root, { project, projectRoot: 'libs/a', target: 'ai-generate--x', targets: { 'ai-generate--x': { executor: 'nx-worktree-ai:generate', options: { batch: batchPath } } } });
  }

  async function expectRefused(run: () => Promise<{ success: boolean }>, message: RegExp): Promise<void> {
    const status = git(root, 'status', '--porcelain', '-uall');
    const refs = git(root, 'for-each-ref');
    await expect(run()).resolves.toEqual({ success: false });
    expect(errors.join('\n')).toMatch(message);
    expect(existsSync(marker)).toBe(false);
    expect(git(root, 'for-each-ref')).toBe(refs);
    expect(git(root, 'status', '--porcelain', '-uall')).toBe(status);
    expect(existsSync(join(root, '.nx-worktree-ai'))).toBe(false);
    expect(readdirSync(worktreeDir)).toEqual([]);
    expect(git(root, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
  }

  const runWith = (project: string, options: Record<string, unknown>, batchPath = 'libs/a/ai/ok.ai.md') => () =>
    generateExecutor({ batch: batchPath, worktreeDir, ...options } as never, context(project, String(options.batch ?? batchPath)));

  it.each([
    ['--upload-pack=touch /tmp/pwned', /refused before anything ran: project name "--upload-pack=touch \/tmp\/pwned" starts with "-"/],
    ['../../outside', /project name "\.\.\/\.\.\/outside" has a "\.\." part/],
    ['evil\u001b[2J', /project name "evil\\u001b\[2J" contains the control character U\+001B/],
    ['a b', /project name "a b" may use only/],
  ])('project name %j', async (project, message) => {
    await expectRefused(runWith(project, {}), message);
  });

  it.each([
    [{ batch: '../outside.ai.md' }, /invalid options[\s\S]*key "batch": got "\.\.\/outside\.ai\.md"; expected a path relative to the workspace root.*contains "\.\."/],
    [{ batch: '/etc/x.ai.md' }, /key "batch".*absolute/],
    [{ batch: '--upload-pack=x.ai.md' }, /key "batch".*starts with "-"/],
    [{ model: '--dangerously-skip-permissions' }, /key "model".*starts with "-"/],
    [{ copyFiles: ['../../.ssh/id_rsa'] }, /key "copyFiles\.0".*contains "\.\."/],
    [{ secretEnv: ['A;B'] }, /key "secretEnv\.0"/],
    [{ worktreeDir: '/tmp/x\u0007' }, /key "worktreeDir".*control character U\+0007/],
  ])('option %j', async (options, message) => {
    await expectRefused(runWith('a', options), message);
  });

  it.each([
    ['outputs: ["../../**"]', /key "outputs\.0".*contains "\.\."/],
    ['outputs: ["/home/**"]', /key "outputs\.0".*absolute/],
    ['outputs: ["src/**"]\ncontext: ["{workspaceRoot}/../../etc/passwd"]', /key "context\.0".*contains "\.\."/],
    ['outputs: ["src/**"]\ndependsOn: ["--upload-pack=x:y"]', /key "dependsOn\.0"/],
  ])('batch file %j', async (fm, message) => {
    writeFiles(root, { 'libs/a/ai/bad.ai.md': `---\nagent: command\ncommand: [node, -e, ${JSON.stringify(agentScript())}]\n${fm}\n---\nWork.\n` });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'bad batch');
    await expectRefused(runWith('a', {}, 'libs/a/ai/bad.ai.md'), message);
  });

  it('a batch file whose name would make a bad branch', async () => {
    writeFiles(root, { 'libs/a/ai/a..b.ai.md': batchFile() });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'bad name');
    await expectRefused(runWith('a', {}, 'libs/a/ai/a..b.ai.md'), /batch name "a\.\.b".*contains "\.\."/);
  });

  it('a target the plugin inferred as invalid (here: outputs overlapping another batch) refuses to run, printing the problems', async () => {
    const problem = 'key "outputs": may write the same files as batch a:other (libs/a/ai/other.ai.md): "src/**" and "src/x/**"; add dependsOn: [other] to one of them';
    await expectRefused(runWith('a', { invalid: [problem] }), new RegExp(`refused before anything ran: libs/a/ai/ok\\.ai\\.md: invalid batch file\\n  - ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('plugin inference marks a hostile project name and hostile paths invalid, naming the file', async () => {
    const ws = tempDir('nxwa-hostile-plugin-');
    try {
      writeFiles(ws, {
        'nx.json': '{}',
        'libs/x/project.json': JSON.stringify({ name: '--upload-pack=touch /tmp/pwned' }),
        'libs/x/ai/b.ai.md': '---\noutputs: [src/**]\n---\nx\n',
        'libs/y/project.json': JSON.stringify({ name: 'y' }),
        'libs/y/ai/c.ai.md': '---\noutputs: ["{..,src}/**"]\n---\nx\n',
      });
      const files = ['libs/x/ai/b.ai.md', 'libs/y/ai/c.ai.md'];
      // Inference never throws for a batch file: each gets a target that refuses to run, printing why.
      const result = await createNodes[1](files, {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
      const byFile = Object.fromEntries(
        result.map(([f, r]) => {
          const targets = Object.values(r.projects!)[0].targets!;
          return [f, ((targets[`ai-generate--${f.split('/').pop()!.replace('.ai.md', '')}`].options as { invalid: string[] }).invalid).join('\n')];
        }),
      );
      expect(byFile['libs/x/ai/b.ai.md']).toMatch(/project name "--upload-pack=touch \/tmp\/pwned" \(of libs\/x\) starts with "-"/);
      expect(byFile['libs/y/ai/c.ai.md']).toMatch(/key "outputs\.0".*as \.\.\/\*\*/);
    } finally {
      removeDir(ws);
    }
  });
});
