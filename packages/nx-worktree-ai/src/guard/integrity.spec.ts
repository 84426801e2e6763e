import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { applyPlan } from '../worktree/apply';
import { basename, join } from 'node:path';
import { git, gitRepo, removeDir, tempDir, useWorktreeConfig, gitRepoFor, tempDirFor } from '@testing/temp';
import { captureBaseline, captureSharedState, checkIntegrity, completeBaseline } from './integrity';
import type { IntegrityScope } from './scope';
import { describeFindings } from './messages';
import { symlinkEscape } from './symlinks';
import { fileSig, recordPluginWrites, refWrite } from '../worktree/plugin-writes';
import { readRepoInfo } from '../worktree/repo';
import { salvageWorktree } from '../recovery/salvage';
import { pointBranch, registerWorktree, removeWorktree, worktreeGitDir } from '../worktree/worktree';

describe('symlinkEscape', () => {
  it.each([
    ['src/a/link', 'b.ts', null],
    ['src/a/link', '../b/c.ts', null],
    ['src/a/link', '../../README.md', null],
    ['src/a/link', '../../../x', /outside the worktree/],
    ['link', '..', /outside the worktree/],
    ['src/link', '/etc/passwd', /absolute/],
    ['src/link', 'C:\\Windows', /absolute/],
    ['src/link', '~/.ssh/id_rsa', /absolute/],
    ['src/link', '../.git/config', /into \.git/],
    ['src/link', '..\\..\\..\\x', /outside the worktree/],
  ])('%s -> %s', (path, target, expected) => {
    const why = symlinkEscape(path, target);
    if (expected === null) expect(why).toBeNull();
    else expect(why).toMatch(expected);
  });
});

describe('checkIntegrity on a real repository', () => {
  const workspace = gitRepoFor({ 'libs/a/src/x.ts': 'x\n', 'libs/b/src/y.ts': 'y\n', 'README.md': 'r\n' });
  const worktrees = tempDirFor('nxwa-integrity-unit-', { each: true });
  let scope: IntegrityScope;

  beforeEach(async () => {
    const wt = join(worktrees.path, 'a--x-abcdef');
    git(workspace.path, 'worktree', 'add', '-q', '-b', 'ai/a/x', wt);
    scope = { repo: await readRepoInfo(workspace.path), worktreeDir: wt, branch: 'ai/a/x', baseDir: worktrees.path, isOutput: (p) => p.startsWith('libs/a/src/') };
  });

  /** A worktree registration `git worktree add` is still making: HEAD still git's placeholder of zeros, config.worktree copied or not yet. */
  const halfAddedWorktree = (name: string, withConfig: boolean) => {
    const admin = join(workspace.path, '.git/worktrees', name);
    mkdirSync(admin);
    writeFileSync(join(admin, 'HEAD'), `${'0'.repeat(40)}\n`);
    if (withConfig) writeFileSync(join(admin, 'config.worktree'), readFileSync(join(workspace.path, '.git/config.worktree')));
    return admin;
  };

  it('finds nothing when nothing changed, and ignores the batch worktree, its branch and its outputs', async () => {
    const baseline = await captureBaseline(scope);
    writeFileSync(join(scope.worktreeDir, 'anything.ts'), 'mine');
    git(scope.worktreeDir, 'add', '-A');
    git(scope.worktreeDir, 'commit', '-qm', 'agent committed on its own branch');
    writeFileSync(join(workspace.path, 'libs/a/src/x.ts'), 'edited by the user: left to the 3-way integration\n');
    expect(await checkIntegrity(scope, baseline)).toEqual([]);
  });

  it('reports an unexplained workspace change, even one the user made (documented)', async () => {
    const baseline = await captureBaseline(scope);
    writeFileSync(join(workspace.path, 'README.md'), 'changed\n');
    writeFileSync(join(workspace.path, 'new.txt'), 'new\n');
    rmSync(join(workspace.path, 'libs/b/src/y.ts'));
    expect(await checkIntegrity(scope, baseline)).toEqual(['changed README.md in the workspace', 'deleted libs/b/src/y.ts in the workspace', 'created new.txt in the workspace']);
  });

  it("explains what the plugin recorded, and content another batch produced (an Nx cache restore)", async () => {
    // Another batch's result on its branch, as Nx would restore it.
    git(workspace.path, 'checkout', '-q', '-b', 'ai/b/y');
    writeFileSync(join(workspace.path, 'libs/b/src/y.ts'), 'y by batch b\n');
    git(workspace.path, 'commit', '-qam', 'b result');
    git(workspace.path, 'checkout', '-q', 'main');
    const baseline = await captureBaseline(scope);
    writeFileSync(join(workspace.path, 'libs/b/src/y.ts'), 'y by batch b\n');
    // Another batch integrating (recorded), then its branch moving (recorded).
    const merged = { mode: '100644', content: Buffer.from('r, merged\n') };
    recordPluginWrites(scope.repo, [{ kind: 'file', path: 'README.md', sig: fileSig(merged) }]);
    writeFileSync(join(workspace.path, 'README.md'), merged.content);
    const tip = git(workspace.path, 'rev-parse', 'HEAD');
    recordPluginWrites(scope.repo, [refWrite('refs/heads/ai/c/z', tip)]);
    git(workspace.path, 'update-ref', 'refs/heads/ai/c/z', tip);
    expect(await checkIntegrity(scope, baseline)).toEqual([]);
    // A recorded write explains only the content the plugin wrote.
    writeFileSync(join(workspace.path, 'README.md'), 'r, merged, then changed again\n');
    expect(await checkIntegrity(scope, baseline)).toEqual(['changed README.md in the workspace']);
  });

  it('reports refs, HEAD, config, hooks, info and files beside the worktree; not sibling batch worktrees', async () => {
    const baseline = await captureBaseline(scope);
    git(workspace.path, 'branch', 'sneaky');
    git(workspace.path, 'checkout', '-q', '-b', 'elsewhere');
    // A planted fsmonitor hook would run in the plugin's own `git status`: the check switches it off.
    git(workspace.path, 'config', 'core.fsmonitor', 'touch fsmonitor-ran');
    writeFileSync(join(workspace.path, '.git/hooks/post-checkout'), '#!/bin/sh\n');
    mkdirSync(join(workspace.path, '.git/info'), { recursive: true });
    writeFileSync(join(workspace.path, '.git/info/attributes'), '* filter=evil\n');
    writeFileSync(join(worktrees.path, 'dropped.sh'), 'x');
    mkdirSync(join(worktrees.path, 'b--y-123abc')); // another batch's worktree appearing: fine
    writeFileSync(join(worktrees.path, 'b--y-123abc.prompt.md'), 'prompt'); // and its prompt file
    const findings = await checkIntegrity(scope, baseline);
    expect(findings).toEqual(
      expect.arrayContaining([
        'created branch sneaky',
        'created branch elsewhere',
        'switched the HEAD of the main worktree (ref: refs/heads/main -> ref: refs/heads/elsewhere)',
        'changed .git/config',
        'created .git/hooks/post-checkout',
        'created .git/info/attributes',
        `created ${join(worktrees.path, 'dropped.sh')} outside the worktree`,
      ]),
    );
    expect(findings).toHaveLength(7);
    expect(git(workspace.path, '-c', 'core.fsmonitor=false', 'status', '--porcelain', '-uall')).not.toContain('fsmonitor-ran');
    expect(describeFindings(findings)).toMatch(/^the agent reached outside its worktree: created branch /);
  });

  it("leaves a confined run's workspace and shared refs unscanned: the sandbox lets the agent write neither", async () => {
    const shared = await captureSharedState(scope.repo, worktrees.path, Date.now(), true);
    expect([shared.workspace.size, shared.refs.size]).toEqual([0, 0]);
    const baseline = completeBaseline(shared, scope.worktreeDir);
    // The user works on meanwhile: a branch, a commit, an edit. None of it is the agent's.
    git(workspace.path, 'branch', 'mine');
    writeFileSync(join(workspace.path, 'notes.md'), 'mine\n');
    expect(await checkIntegrity({ ...scope, writable: [scope.worktreeDir] }, baseline)).toEqual([]);
  });

  it('takes its shared part before the worktree exists; sibling batch worktrees being added are not the agent\'s doing', async () => {
    useWorktreeConfig(workspace.path);
    // A sibling batch's worktree half added when the baseline is taken.
    const halfAdded = halfAddedWorktree('b--y-123abc', false);
    const shared = await captureSharedState(scope.repo, worktrees.path);
    const own = join(worktrees.path, 'a--z-fedcba');
    git(workspace.path, 'worktree', 'add', '-q', '--no-checkout', '-b', 'ai/a/z', own);
    const ownScope = { ...scope, worktreeDir: own, branch: 'ai/a/z' };
    const baseline = completeBaseline(shared, own);
    // During the run the sibling's worktree is finished (its branch recorded, as pointBranch does),
    // and another batch adds one.
    const head = git(workspace.path, 'rev-parse', 'HEAD');
    rmSync(halfAdded, { recursive: true });
    recordPluginWrites(scope.repo, [refWrite('refs/heads/ai/b/y', head)]);
    git(workspace.path, 'worktree', 'add', '-q', '--no-checkout', '-b', 'ai/b/y', join(worktrees.path, 'b--y-123abc'));
    await pointBranch(scope.repo, 'ai/c/w', head);
    const sibling = await registerWorktree(scope.repo, { baseDir: worktrees.path, name: 'c--w', branch: 'ai/c/w' });
    const copied = join(sibling.gitDir!, 'config.worktree');
    expect(readFileSync(copied, 'utf8')).toContain('sparseCheckout = false');
    // And one is half added when the check runs: its config.worktree copied, its HEAD not yet set.
    const adding = halfAddedWorktree('d--q-111111', true);
    expect(await checkIntegrity(ownScope, baseline)).toEqual([]);
    rmSync(adding, { recursive: true });
    // A config.worktree that is not git's copy is reported, in a sibling batch's worktree as anywhere.
    writeFileSync(copied, '[core]\n\tfsmonitor = touch planted\n');
    expect(await checkIntegrity(ownScope, baseline)).toEqual([`created .git/worktrees/${basename(sibling.dir)}/config.worktree`]);
    await removeWorktree(scope.repo, sibling);
  });

  it("sees a sibling batch's worktree removed with its config.worktree as the plugin's; a config.worktree deleted alone is reported", async () => {
    useWorktreeConfig(workspace.path);
    const head = git(workspace.path, 'rev-parse', 'HEAD');
    const siblings = [];
    for (const name of ['b--y', 'c--w']) {
      await pointBranch(scope.repo, `ai/${name.replace('--', '/')}`, head);
      siblings.push(await registerWorktree(scope.repo, { baseDir: worktrees.path, name, branch: `ai/${name.replace('--', '/')}` }));
    }
    // A third one half added when the baseline is taken (config.worktree copied, HEAD not yet set),
    // then removed during the run.
    const adding = halfAddedWorktree('d--q-111111', true);
    const baseline = await captureBaseline(scope);
    await removeWorktree(scope.repo, siblings[0]);
    rmSync(adding, { recursive: true });
    rmSync(join(siblings[1].gitDir!, 'config.worktree'));
    expect(await checkIntegrity(scope, baseline)).toEqual([`deleted .git/worktrees/${basename(siblings[1].dir)}/config.worktree`]);
  });

  it("reports another worktree's registration removed or its HEAD moved, but not a pruned one", async () => {
    const elsewhere = tempDir('nxwa-integrity-user-wt-');
    const userWt = join(elsewhere, 'user-worktree');
    const goneWt = join(elsewhere, 'gone-worktree');
    git(workspace.path, 'worktree', 'add', '-q', '-b', 'user-branch', userWt);
    git(workspace.path, 'worktree', 'add', '-q', '-b', 'gone-branch', goneWt);
    const baseline = await captureBaseline(scope);
    git(userWt, 'checkout', '-q', '-b', 'moved');
    removeDir(goneWt);
    git(workspace.path, 'worktree', 'prune');
    const findings = await checkIntegrity(scope, baseline);
    removeDir(elsewhere);
    expect(findings).toEqual(['created branch moved', `switched the HEAD of the worktree ${userWt} (ref: refs/heads/user-branch -> ref: refs/heads/moved)`]);
  });
});

describe('applyPlan refuses paths that leave the workspace or reach into .git', () => {
  it('writes nothing when one path is bad', () => {
    const dir = gitRepo({ 'a.txt': 'a\n' });
    try {
      const v = (t: string) => ({ mode: '100644', content: Buffer.from(t) });
      expect(() =>
        applyPlan(dir, {
          writes: [
            { path: 'a.txt', file: v('changed\n') },
            { path: 'x/../../escape.txt', file: v('x') },
          ],
          conflicts: [],
          merged: [],
        }),
      ).toThrow(/refusing to write "x\/\.\.\/\.\.\/escape\.txt" into the workspace/);
      expect(() => applyPlan(dir, { writes: [{ path: '.git/hooks/pre-commit', file: v('#!/bin/sh\n') }], conflicts: [], merged: [] })).toThrow(/\.git part/);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a\n');
      expect(existsSync(join(dir, '.git/hooks/pre-commit'))).toBe(false);
    } finally {
      removeDir(dir);
    }
  });
});

describe("the plugin's own git commands in a worktree ignore a rewritten .git file", () => {
  it('salvages the work through the registered git dir, running no planted fsmonitor', async () => {
    const root = gitRepo({ 'a.txt': 'a\n' });
    const base = tempDir('nxwa-integrity-salvage-');
    try {
      const wt = join(base, 'a--x-abcdef');
      git(root, 'worktree', 'add', '-q', '-b', 'ai/a/x', wt);
      const repo = await readRepoInfo(root);
      expect(worktreeGitDir(repo, wt)).toBe(join(repo.commonDir, 'worktrees', 'a--x-abcdef'));
      // The agent's work, and a .git file pointing at a repository of its own whose config runs a command.
      writeFileSync(join(wt, 'work.txt'), 'work\n');
      const evil = join(wt, 'evil');
      git(base, 'init', '-q', evil);
      git(evil, 'config', 'core.fsmonitor', `touch ${join(base, 'fsmonitor-ran')}`);
      writeFileSync(join(wt, '.git'), `gitdir: ${join(evil, '.git')}\n`);
      const saved = await salvageWorktree(repo, wt, 'ai/a/x', 'a:x', { outputs: null, prepared: [] });
      expect(saved?.branch).toBe('ai/a/x');
      expect(git(root, 'show', 'ai/a/x:work.txt')).toBe('work');
      expect(existsSync(join(base, 'fsmonitor-ran'))).toBe(false);
    } finally {
      removeDir(root);
      removeDir(base);
    }
  });
});
