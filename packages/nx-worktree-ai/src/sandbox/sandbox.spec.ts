import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRepo, removeDir, tempDir, TEST_GIT_IDENTITY } from '@testing/temp';
import { adoptAgentObjects, blockedWrites, chooseSandbox, confineCommand, confinementFor } from './index';
import { sandboxTool } from './available';
import { nestedSandboxArgs } from './nested';
import { agentStatePaths } from './state-dirs';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A repository with a batch worktree on `ai/app/one` and a sibling branch `ai/app/two`, as the run leaves them before the agent. */
function batchRepo() {
  const root = gitRepo({ 'src/index.ts': 'export {};\n' }, 'nxwa-sandbox-');
  const base = tempDir('nxwa-sandbox-wt-');
  dirs.push(root, base);
  const tip = git(root, 'rev-parse', 'HEAD');
  git(root, 'branch', 'ai/app/one');
  git(root, 'branch', 'ai/app/two');
  const worktreeDir = join(base, 'app--one-abc123');
  git(root, 'worktree', 'add', '-q', worktreeDir, 'ai/app/one');
  const commonDir = join(root, '.git');
  const gitDir = join(commonDir, 'worktrees', 'app--one-abc123');
  return { root, base, tip, worktreeDir, commonDir, gitDir };
}

const bwrap = sandboxTool();
const describeConfined = bwrap.available ? describe : describe.skip;

describe('the write set', () => {
  it('makes the worktree, its git dir and the CLI state writable, the branch folder a private copy, nothing of the repository', () => {
    const r = batchRepo();
    const home = tempDir('nxwa-sandbox-home-');
    dirs.push(home);
    const confinement = confinementFor({ agent: 'codex', env: { CODEX_HOME: join(home, 'codex') }, worktreeDir: r.worktreeDir, gitDir: r.gitDir, commonDir: r.commonDir, branch: 'ai/app/one', branchTip: r.tip });
    expect(confinement.writable).toEqual([join(home, 'codex'), r.gitDir, r.worktreeDir].sort());
    expect(confinement.writable.some((p) => p === r.root || p === r.commonDir)).toBe(false);
    expect(confinement.overlays.map((o) => o.target)).toEqual([join(r.commonDir, 'refs/heads/ai/app'), join(r.commonDir, 'logs/refs/heads/ai/app')]);
    // The private ref folder holds the batch's own branch at its tip, and nothing of its siblings.
    expect(readFileSync(join(confinement.overlays[0].source, 'one'), 'utf8')).toBe(`${r.tip}\n`);
    expect(existsSync(join(confinement.overlays[0].source, 'two'))).toBe(false);
    expect(confinement.readOnly).toEqual([join(r.worktreeDir, '.git'), join(r.gitDir, 'commondir'), join(r.gitDir, 'gitdir')]);
    expect(confinement.env).toMatchObject({ GIT_OBJECT_DIRECTORY: confinement.objectsDir, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(r.commonDir, 'objects'), IS_SANDBOX: '1' });
    expect(confinement.env.TMPDIR.startsWith(r.gitDir)).toBe(true);
  });

  it("refuses a CLI state folder that holds the repository's git folder or lies in it, before making anything", () => {
    const r = batchRepo();
    const request = { agent: 'codex' as const, worktreeDir: r.worktreeDir, gitDir: r.gitDir, commonDir: r.commonDir, branch: 'ai/app/one', branchTip: r.tip };
    expect(() => confinementFor({ ...request, env: { CODEX_HOME: r.root } })).toThrow(`the agent CLI keeps its state in ${r.root}, which holds the repository's git folder ${r.commonDir}`);
    const inside = join(r.commonDir, 'codex-home');
    expect(() => confinementFor({ ...request, env: { CODEX_HOME: inside } })).toThrow(/lies inside the repository's git folder .*set sandbox: off for this batch/);
    expect(existsSync(inside)).toBe(false);
    expect(existsSync(join(r.gitDir, 'nx-worktree-ai'))).toBe(false);
  });

  it('writes nothing for the dry run', () => {
    const r = batchRepo();
    const gitDir = join(r.commonDir, 'worktrees', 'app--one-<random>');
    const confinement = confinementFor({ agent: 'command', env: {}, worktreeDir: join(r.base, 'app--one-<random>'), gitDir, commonDir: r.commonDir, branch: 'ai/app/one', branchTip: '<snapshot>' }, false);
    expect(existsSync(gitDir)).toBe(false);
    expect(confinement.writable).toContain(gitDir);
  });

  it('knows where each CLI keeps its state', () => {
    const env = { HOME: '/home/u' };
    expect(agentStatePaths('claude', env)).toEqual({ dirs: ['/home/u/.claude'], files: ['/home/u/.claude.json'] });
    expect(agentStatePaths('claude', { ...env, CLAUDE_CONFIG_DIR: '/c' })).toEqual({ dirs: ['/c'], files: [] });
    expect(agentStatePaths('codex', env).dirs).toEqual(['/home/u/.codex']);
    expect(agentStatePaths('gemini', { ...env, GEMINI_CLI_HOME: '/g' }, { GEMINI_CLI_HOME: '/overlay' }).dirs).toEqual(['/g/.gemini', '/overlay/.gemini']);
    expect(agentStatePaths('opencode', { ...env, XDG_DATA_HOME: '/d' }).dirs).toContain('/d/opencode');
    expect(agentStatePaths('command', env)).toEqual({ dirs: [], files: [] });
  });

  it("keeps codex's own sandbox working inside ours, and leaves other CLIs' arguments alone", () => {
    expect(nestedSandboxArgs('codex', ['exec', '--json', '-s', 'workspace-write', '-'])).toEqual(['exec', '--json', '-s', 'workspace-write', '-c', 'sandbox_workspace_write.exclude_slash_tmp=true', '-']);
    expect(nestedSandboxArgs('codex', ['exec', '--json', '-s', 'read-only', '-'])).toEqual(['exec', '--json', '-s', 'read-only', '-']);
    expect(nestedSandboxArgs('claude', ['-p', '-s', 'workspace-write'])).toEqual(['-p', '-s', 'workspace-write']);
  });
});

describe('refused writes in what the agent printed', () => {
  it('finds paths under the workspace next to "Read-only file system" and EROFS, and nothing else', () => {
    const lines = [
      '{"type":"user","content":"/bin/bash: line 1: /ws/planted: Read-only file system"}',
      "Error: EROFS: read-only file system, open '/ws/src/x.ts'",
      '{"content":"wrote /ws/fine.txt"}',
      'touch: cannot touch /home/u/.npm/_logs/x: Read-only file system',
      'mkdir: cannot create directory "/ws/.git/hooks/x": Read-only file system',
    ];
    expect(blockedWrites(lines, ['/ws'])).toEqual(['/ws/.git/hooks/x', '/ws/planted', '/ws/src/x.ts']);
    expect(blockedWrites(['/wsother/a: Read-only file system'], ['/ws'])).toEqual([]);
  });
});

describe('the agent\'s objects join the repository', () => {
  it('copies loose objects the repository lacks and replaces none', () => {
    const r = batchRepo();
    const priv = join(r.gitDir, 'private-objects');
    mkdirSync(priv, { recursive: true });
    writeFileSync(join(r.worktreeDir, 'new.txt'), 'agent work\n');
    const env = { ...process.env, ...TEST_GIT_IDENTITY, GIT_OBJECT_DIRECTORY: priv, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(r.commonDir, 'objects') };
    const blob = execFileSync('git', ['hash-object', '-w', 'new.txt'], { cwd: r.worktreeDir, env, encoding: 'utf8' }).trim();
    expect(spawnSync('git', ['cat-file', '-e', blob], { cwd: r.root }).status).not.toBe(0);
    expect(adoptAgentObjects(priv, join(r.commonDir, 'objects'))).toBe(1);
    expect(git(r.root, 'cat-file', 'blob', blob)).toBe('agent work');
    expect(adoptAgentObjects(priv, join(r.commonDir, 'objects'))).toBe(0);
  });
});

describe('sandbox modes', () => {
  it('off never confines; required fails where no sandbox can be had', () => {
    expect(chooseSandbox('off')).toEqual({ bwrap: null, why: null });
    if (bwrap.available) expect(chooseSandbox('required')).toEqual({ bwrap: bwrap.bwrap });
    else expect(() => chooseSandbox('required')).toThrow(/sandbox: required/);
  });
});

describeConfined('bubblewrap for real', () => {
  it('lets the agent write and commit in its worktree, and nowhere in the workspace, its git dir or a sibling branch', () => {
    const r = batchRepo();
    const confinement = confinementFor({ agent: 'command', env: {}, worktreeDir: r.worktreeDir, gitDir: r.gitDir, commonDir: r.commonDir, branch: 'ai/app/one', branchTip: r.tip });
    const script = [
      'echo work > work.txt && git add work.txt && git commit -q -m agent && echo committed',
      `echo x > ${r.root}/planted 2>/dev/null || echo refused-workspace`,
      `echo x > ${r.commonDir}/config 2>/dev/null || echo refused-config`,
      `git update-ref refs/heads/ai/app/two HEAD 2>/dev/null && echo moved-sibling-in-private-copy`,
      `git update-ref refs/heads/main HEAD 2>/dev/null || echo refused-main`,
      `echo x > ${r.worktreeDir}/.git 2>/dev/null || echo refused-gitfile`,
    ].join('; ');
    const command = confineCommand('command', (bwrap as { bwrap: string }).bwrap, confinement, r.worktreeDir, { bin: 'sh', args: ['-c', script] }, {});
    const out = execFileSync(command.bin, command.args, { env: { ...process.env, ...TEST_GIT_IDENTITY, ...command.env }, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['committed', 'refused-workspace', 'refused-config', 'moved-sibling-in-private-copy', 'refused-main', 'refused-gitfile']);
    expect(existsSync(join(r.root, 'planted'))).toBe(false);
    // The real branches did not move: the agent's commit lived in its private copy of the ref folder.
    expect(git(r.root, 'rev-parse', 'ai/app/one')).toBe(r.tip);
    expect(git(r.root, 'rev-parse', 'ai/app/two')).toBe(r.tip);
    expect(git(r.root, 'rev-parse', 'main')).toBe(r.tip);
    // Its objects reach the repository once adopted, so the worktree's index (which staged its file)
    // names objects the repository has; outside its private ref the branch is still at the tip.
    adoptAgentObjects(confinement.objectsDir, join(r.commonDir, 'objects'));
    expect(git(r.worktreeDir, 'status', '--porcelain')).toBe('A  work.txt');
    expect(git(r.root, 'cat-file', 'blob', `${git(r.worktreeDir, 'ls-files', '-s', 'work.txt').split(' ')[1]}`)).toBe('work');
    expect(git(r.root, 'fsck', '--connectivity-only', '--no-dangling')).toBe('');
  });
});
