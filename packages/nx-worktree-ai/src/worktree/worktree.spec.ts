import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { git as testGit, gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import { applyPlan, loadVersions, planIntegration, type PathChange } from './apply';
import { keepUnintegratedBranch } from './branch';
import { collectChanges, commitOnBranch } from './changes';
import { lockPath, readRepoInfo, type RepoInfo } from './repo';
import { lookupResult, recordStoredFrom, storeResult } from './result-cache';
import { SHARED_SNAPSHOT_MS, sharedSnapshot, snapshotWithFiles, snapshotWorkspace } from './snapshot';
import { recordPluginWrites } from './plugin-writes';
import { listTree, readCommitRef, readCommitRefs, writeTreeOf } from './tree';
import { addWorktree, batchBranchName, checkoutWorktree, listWorktrees, pointBranch, prepareWorktree, registerWorktree, removeWorktree, worktreeGitDir } from './worktree';
import { withLock } from './lock';

function userState(dir: string) {
  return {
    head: testGit(dir, 'rev-parse', 'HEAD'),
    index: readFileSync(join(dir, '.git', 'index')).toString('base64'),
    status: testGit(dir, 'status', '--porcelain=v1', '-uall'),
    branches: testGit(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'),
  };
}

describe('git layer on a real repository', () => {
  let repoDir: string;
  let outside: string;
  let repo: RepoInfo;

  beforeEach(async () => {
    repoDir = gitRepo({ 'libs/auth/index.ts': 'export {};\n', '.gitignore': 'node_modules/\n.env\n', 'README.md': 'hello\n' });
    outside = tempDir('nxwa-wt-');
    writeFiles(repoDir, { 'notes.txt': 'untracked\n', '.env': 'SECRET=1\n', 'README.md': 'hello, edited\n', 'node_modules/x/index.js': '1' });
    testGit(repoDir, 'add', 'README.md');
    repo = await readRepoInfo(repoDir);
  });
  afterEach(() => {
    removeDir(repoDir);
    removeDir(outside);
  });

  it('snapshots tracked, untracked and staged files, not ignored ones, without touching index, HEAD or files', async () => {
    const before = userState(repoDir);
    const snapshot = await snapshotWorkspace(repo);
    expect(userState(repoDir)).toEqual(before);
    const files = await listTree(repoDir, snapshot);
    expect([...files.keys()].sort()).toEqual(['.gitignore', 'README.md', 'libs/auth/index.ts', 'notes.txt']);
    expect(testGit(repoDir, 'show', `${snapshot}:README.md`)).toBe('hello, edited');
    expect(testGit(repoDir, 'rev-parse', `${snapshot}^`)).toBe(before.head);
  });

  it('shares one snapshot among the batches of one Nx command started together, and no further', async () => {
    const first = await sharedSnapshot(repo, 'run-1', 1_000_000);
    expect(first.shared).toBe(false);
    writeFiles(repoDir, { 'notes.txt': 'edited after the first snapshot\n' });
    const second = await sharedSnapshot(repo, 'run-1', 1_000_000 + SHARED_SNAPSHOT_MS);
    expect(second).toMatchObject({ commit: first.commit, shared: true });
    expect(await second.files).toEqual(await first.files);
    expect((await first.files).get('notes.txt')).toBeDefined();
    // Another Nx command, no Nx command, too late: each takes its own, and sees the edit.
    for (const [run, at] of [['run-2', 1_000_001], [null, 1_000_001], ['run-1', 1_000_001 + SHARED_SNAPSHOT_MS]] as const) {
      const own = await sharedSnapshot(repo, run, at);
      expect(own.shared).toBe(false);
      expect(testGit(repoDir, 'show', `${own.commit}:notes.txt`)).toBe('edited after the first snapshot');
    }
    // A batch wrote to the workspace since: taken again.
    const base = await sharedSnapshot(repo, 'run-3', Date.now());
    recordPluginWrites(repo, [{ kind: 'file', path: 'libs/auth/new.ts', sig: 'absent' }]);
    expect((await sharedSnapshot(repo, 'run-3', Date.now())).shared).toBe(false);
    expect(base.shared).toBe(false);
    // HEAD moved: taken again.
    const beforeCommit = await sharedSnapshot(repo, 'run-4', Date.now());
    testGit(repoDir, 'commit', '-qm', 'user commit');
    const moved = await sharedSnapshot(await readRepoInfo(repoDir), 'run-4', Date.now());
    expect(moved.shared).toBe(false);
    expect(moved.commit).not.toBe(beforeCommit.commit);
  });

  it("leaves the plugin's artifacts out of a snapshot, untracked or tracked", async () => {
    writeFiles(repoDir, { '.nx-worktree-ai/auth/module/result.json': '{}', 'libs/.nx-worktree-ai/kept.txt': 'not the artifacts folder' });
    expect([...(await snapshotWithFiles(repo)).files.keys()]).not.toContain('.nx-worktree-ai/auth/module/result.json');
    testGit(repoDir, 'add', '-f', '.nx-worktree-ai');
    const before = userState(repoDir);
    const { commit, files } = await snapshotWithFiles(repo);
    expect(userState(repoDir)).toEqual(before);
    expect([...files.keys()].sort()).toEqual(['.gitignore', 'README.md', 'libs/.nx-worktree-ai/kept.txt', 'libs/auth/index.ts', 'notes.txt']);
    expect(await listTree(repoDir, commit)).toEqual(files);
  });

  it('runs a worktree on the batch branch, collects every change and leaves the branch after removal', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: outside, name: 'auth--module', branch: 'ai/auth/module', commit: snapshot });
    prepareWorktree(repo, wt, { nodeModules: 'link', copyFiles: ['.env'] });
    expect(readlinkSync(join(wt.dir, 'node_modules'))).toBe(join(repoDir, 'node_modules'));
    expect(readFileSync(join(wt.dir, '.env'), 'utf8')).toBe('SECRET=1\n');

    writeFiles(wt.dir, { 'libs/auth/login.ts': 'export const login = 1;\n', 'libs/auth/index.ts': 'export * from "./login";\n' });
    testGit(wt.dir, 'rm', '-q', 'notes.txt');
    const change = await collectChanges(repo, wt, snapshot);
    expect(change.files).toEqual([
      { path: 'libs/auth/index.ts', status: 'modified' },
      { path: 'libs/auth/login.ts', status: 'added' },
      { path: 'notes.txt', status: 'deleted' },
    ]);
    expect(change.insertions).toBe(2);
    const commit = await commitOnBranch(repo, 'ai/auth/module', change.tree, snapshot, 'auth:module: test', { 'Nx-Worktree-Ai-Cache-Key': 'k1' });
    expect(testGit(repoDir, 'rev-parse', 'ai/auth/module')).toBe(commit);
    expect(testGit(repoDir, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Cache-Key,valueonly)', commit)).toBe('k1');

    await removeWorktree(repo, wt);
    expect(existsSync(wt.dir)).toBe(false);
    expect(testGit(repoDir, 'worktree', 'list')).not.toContain(wt.dir);
    expect(testGit(repoDir, 'rev-parse', 'ai/auth/module')).toBe(commit);
    expect(existsSync(join(repoDir, 'node_modules', 'x', 'index.js'))).toBe(true);
  });

  it('points the branch, then registers a worktree writing no ref, then writes its files without the workspace lock', async () => {
    const snapshot = await snapshotWorkspace(repo);
    await pointBranch(repo, 'ai/auth/split', snapshot);
    expect(testGit(repoDir, 'rev-parse', 'ai/auth/split')).toBe(snapshot);
    // What other batches' integrity checks compare: registering a worktree changes no ref.
    const refs = testGit(repoDir, 'for-each-ref', '--format=%(refname) %(objectname)');
    const wt = await registerWorktree(repo, { baseDir: outside, name: 'split', branch: 'ai/auth/split' });
    expect(testGit(repoDir, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(refs);
    expect(readdirSync(wt.dir)).toEqual(['.git']);
    expect(testGit(wt.dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/ai/auth/split');
    // The checkout takes no lock: it completes while the workspace lock is held (here by the test itself).
    await withLock(lockPath(repo), () => checkoutWorktree(wt, snapshot));
    expect(readFileSync(join(wt.dir, 'notes.txt'), 'utf8')).toBe('untracked\n');
    expect(testGit(wt.dir, 'status', '--porcelain')).toBe('');
    expect(testGit(wt.dir, 'ls-files').split('\n').sort()).toEqual(['.gitignore', 'README.md', 'libs/auth/index.ts', 'notes.txt']);
    await removeWorktree(repo, wt);
  });

  it("registers beside a sibling batch's registration that git is still writing (waits for it instead of failing)", async () => {
    const snapshot = await snapshotWorkspace(repo);
    await pointBranch(repo, 'ai/auth/beside', snapshot);
    // What a concurrent `git worktree add` leaves for a moment: HEAD and gitdir written, commondir still empty.
    const sibling = join(repoDir, '.git', 'worktrees', 'sibling-in-progress');
    mkdirSync(sibling, { recursive: true });
    writeFileSync(join(sibling, 'HEAD'), 'ref: refs/heads/ai/other/x\n');
    writeFileSync(join(sibling, 'gitdir'), `${join(outside, 'sibling', '.git')}\n`);
    writeFileSync(join(sibling, 'commondir'), '');
    const finished = delay(150).then(() => writeFileSync(join(sibling, 'commondir'), '../..\n'));
    const wt = await registerWorktree(repo, { baseDir: outside, name: 'beside', branch: 'ai/auth/beside' });
    await finished;
    expect(testGit(wt.dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/ai/auth/beside');
    await removeWorktree(repo, wt);
  });

  it('leaves no empty default base folder behind, and keeps one that still holds a worktree', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const base = join(outside, 'nx-worktree-ai', 'ws-id');
    await pointBranch(repo, 'ai/auth/one', snapshot);
    await pointBranch(repo, 'ai/auth/two', snapshot);
    const one = await registerWorktree(repo, { baseDir: base, name: 'one', branch: 'ai/auth/one' });
    const two = await registerWorktree(repo, { baseDir: base, name: 'two', branch: 'ai/auth/two' });
    await removeWorktree(repo, one);
    expect(readdirSync(base)).toEqual([basename(two.dir)]);
    await removeWorktree(repo, two);
    expect(readdirSync(outside)).toEqual([]);
    // a folder chosen with worktreeDir stays, empty or not
    const chosen = join(outside, 'my-worktrees');
    await removeWorktree(repo, await registerWorktree(repo, { baseDir: chosen, name: 'one', branch: 'ai/auth/one' }));
    expect(readdirSync(chosen)).toEqual([]);
  });

  it('checks out only the cone in a sparse worktree, and still collects writes outside it', async () => {
    writeFiles(repoDir, { 'libs/a/1.ts': 'a1', 'libs/b/1.ts': 'b1', 'apps/c/1.ts': 'c1', 'libs/README.md': 'libs' });
    const configBefore = readFileSync(join(repoDir, '.git', 'config'), 'utf8');
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: outside, name: 'sparse', branch: 'ai/a/s', commit: snapshot, cone: ['libs/a'] });
    expect(existsSync(join(wt.dir, 'libs/a/1.ts'))).toBe(true);
    expect(existsSync(join(wt.dir, 'README.md'))).toBe(true);
    expect(existsSync(join(wt.dir, 'libs/b'))).toBe(false);
    expect(existsSync(join(wt.dir, 'libs/auth'))).toBe(false);
    // A file in a folder that leads to the cone comes along (git's cone rule).
    expect(existsSync(join(wt.dir, 'libs/README.md'))).toBe(true);
    expect(testGit(wt.dir, 'status', '--porcelain')).toBe('');
    // Patterns git takes as a cone (it would warn and match each path otherwise).
    const list = spawnSync('git', ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=true', 'sparse-checkout', 'list'], { cwd: wt.dir, encoding: 'utf8' });
    expect({ out: list.stdout.trim(), err: list.stderr.trim() }).toEqual({ out: 'libs/a', err: '' });
    expect(readFileSync(join(repoDir, '.git', 'config'), 'utf8')).toBe(configBefore);

    writeFiles(wt.dir, { 'libs/a/2.ts': 'a2', 'libs/b/1.ts': 'changed outside the cone', 'apps/z/new.ts': 'z', 'libs/README.md': 'rewritten' });
    const change = await collectChanges(repo, wt, snapshot);
    expect(change.files).toEqual([
      { path: 'apps/z/new.ts', status: 'added' },
      { path: 'libs/README.md', status: 'modified' },
      { path: 'libs/a/2.ts', status: 'added' },
      { path: 'libs/b/1.ts', status: 'modified' },
    ]);
    await removeWorktree(repo, wt);
  });

  it('refuses a worktree folder inside the workspace', async () => {
    const snapshot = await snapshotWorkspace(repo);
    await expect(addWorktree(repo, { baseDir: join(repoDir, 'tmp'), name: 'x', branch: 'ai/x/y', commit: snapshot })).rejects.toThrow(/inside the workspace/);
  });

  it('makes a cone of nested folders, and of a folder inside another', async () => {
    writeFiles(repoDir, { 'libs/x/y/z/1.ts': 'deep', 'libs/x/y/2.ts': 'y', 'libs/x/3.ts': 'x', 'libs/x/w/4.ts': 'w', 'apps/q/5.ts': 'q', 'apps/q/r/6.ts': 'r' });
    const snapshot = await snapshotWorkspace(repo);
    const wt = await addWorktree(repo, { baseDir: outside, name: 'nested', branch: 'ai/a/n', commit: snapshot, cone: ['libs/x/y', 'apps/q/', 'apps/q/r'] });
    const present = (path: string) => existsSync(join(wt.dir, path));
    expect(['libs/x/y/z/1.ts', 'libs/x/y/2.ts', 'libs/x/3.ts', 'apps/q/5.ts', 'apps/q/r/6.ts', 'README.md'].filter((p) => !present(p))).toEqual([]);
    expect(['libs/x/w/4.ts', 'libs/auth/index.ts'].filter(present)).toEqual([]);
    const list = spawnSync('git', ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=true', 'sparse-checkout', 'list'], { cwd: wt.dir, encoding: 'utf8' });
    expect({ out: list.stdout.trim().split('\n'), err: list.stderr.trim() }).toEqual({ out: ['apps/q', 'libs/x/y'], err: '' });
    await removeWorktree(repo, wt);
  });

  it('replaces a worktree a killed run left holding the branch', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const stale = await addWorktree(repo, { baseDir: outside, name: 'a--b', branch: 'ai/a/b', commit: snapshot });
    const fresh = await addWorktree(repo, { baseDir: outside, name: 'a--b', branch: 'ai/a/b', commit: snapshot });
    expect(existsSync(stale.dir)).toBe(false);
    expect(existsSync(fresh.dir)).toBe(true);
  });

  it('keeps unintegrated work on a batch branch before the branch is reused', async () => {
    const snapshot = await snapshotWorkspace(repo);
    // A failed run whose agent changed nothing holds nothing to keep.
    await commitOnBranch(repo, 'ai/auth/module', testGit(repoDir, 'rev-parse', `${snapshot}^{tree}`), snapshot, 'failed run', { 'Nx-Worktree-Ai-Cache-Key': 'nope' });
    expect(await keepUnintegratedBranch(repo, 'ai/auth/module')).toBeNull();
    const files = await listTree(repoDir, snapshot);
    files.set('libs/auth/half.ts', { mode: '100644', oid: testGit(repoDir, 'hash-object', '-w', '--stdin') });
    await commitOnBranch(repo, 'ai/auth/module', await writeTreeOf(repo, files), snapshot, 'failed run', { 'Nx-Worktree-Ai-Cache-Key': 'nope' });
    const kept = await keepUnintegratedBranch(repo, 'ai/auth/module', new Date('2026-01-02T03:04:05Z'));
    expect(kept).toBe('ai-kept/auth/module/20260102-030405');
    expect(testGit(repoDir, 'rev-parse', kept!)).toBe(testGit(repoDir, 'rev-parse', 'ai/auth/module'));
  });

  it('does not keep a branch whose changes the result cache holds', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const files = await listTree(repoDir, snapshot);
    files.set('libs/auth/login.ts', { mode: '100644', oid: testGit(repoDir, 'hash-object', '-w', '--stdin') });
    await commitOnBranch(repo, 'ai/auth/module', await writeTreeOf(repo, files), snapshot, 'ok run', { 'Nx-Worktree-Ai-Cache-Key': 'key1' });
    await storeResult(repo, 'key1', new Map([['libs/auth/login.ts', files.get('libs/auth/login.ts')!]]), { 'result.json': '{}' });
    expect(await keepUnintegratedBranch(repo, 'ai/auth/module')).toBeNull();
    // a record that lacks the change does not count
    await storeResult(repo, 'key1', new Map(), { 'result.json': '{}' });
    expect(await keepUnintegratedBranch(repo, 'ai/auth/module')).toMatch(/^ai-kept\/auth\/module\//);
  });

  it('knows a branch is held by the record stored from its very commit with one lookup, and by nothing else', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const files = await listTree(repoDir, snapshot);
    files.set('libs/auth/login.ts', { mode: '100644', oid: testGit(repoDir, 'hash-object', '-w', '--stdin') });
    const outputs = new Map([['libs/auth/login.ts', files.get('libs/auth/login.ts')!]]);
    const commit = await commitOnBranch(repo, 'ai/auth/module', await writeTreeOf(repo, files), snapshot, 'ok run', { 'Nx-Worktree-Ai-Cache-Key': 'key2' });
    expect(await recordStoredFrom(repo, 'key2', commit)).toBe(false);
    await storeResult(repo, 'key2', outputs, { 'result.json': '{}' }, snapshot);
    expect(await recordStoredFrom(repo, 'key2', commit)).toBe(false);
    await storeResult(repo, 'key2', outputs, { 'result.json': '{}' }, commit);
    expect(await recordStoredFrom(repo, 'key2', commit)).toBe(true);
    expect(await recordStoredFrom(repo, 'other', commit)).toBe(false);
    expect(await keepUnintegratedBranch(repo, 'ai/auth/module')).toBeNull();
    // A ref below the key's name (from a remote) is not the record.
    testGit(repoDir, 'update-ref', '-d', 'refs/nx-worktree-ai/cache/key2');
    testGit(repoDir, 'update-ref', 'refs/nx-worktree-ai/cache/key2/x', testGit(repoDir, 'commit-tree', `${snapshot}^{tree}`, '-m', `r\n\nNx-Worktree-Ai-Commit: ${commit}`));
    expect(await recordStoredFrom(repo, 'key2', commit)).toBe(false);
    expect(await keepUnintegratedBranch(repo, 'ai/auth/module')).toMatch(/^ai-kept\/auth\/module\//);
  });

  it('reads the commits of several refs with one git process, trailers included, refs to other objects left out', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const tree = testGit(repoDir, 'rev-parse', `${snapshot}^{tree}`);
    const commit = await commitOnBranch(repo, 'ai/auth/module', tree, snapshot, 'a run', { 'Nx-Worktree-Ai-Cache-Key': 'k9' });
    testGit(repoDir, 'update-ref', 'refs/nx-worktree-ai/cache/blob', testGit(repoDir, 'rev-parse', `${snapshot}:README.md`));
    const refs = await readCommitRefs(repoDir, ['refs/heads/ai/', 'refs/heads/main', 'refs/nx-worktree-ai/cache/'], ['Nx-Worktree-Ai-Cache-Key']);
    expect(refs.map((r) => r.ref).sort()).toEqual(['refs/heads/ai/auth/module', 'refs/heads/main']);
    const tip = refs.find((r) => r.ref === 'refs/heads/ai/auth/module')!;
    expect(tip).toEqual({ ref: 'refs/heads/ai/auth/module', oid: commit, parents: [snapshot], subject: 'a run', committer: 'nx-worktree-ai', committedAt: expect.any(Number), trailers: { 'Nx-Worktree-Ai-Cache-Key': 'k9' } });
    expect(refs.find((r) => r.ref === 'refs/heads/main')!.trailers).toEqual({ 'Nx-Worktree-Ai-Cache-Key': '' });
    expect(await readCommitRef(repoDir, 'refs/heads/ai/auth')).toBeNull();
  });

  it('stores results in git refs with only the outputs, never the snapshot', async () => {
    const snapshot = await snapshotWorkspace(repo);
    expect(await lookupResult(repo, 'abc')).toBeNull();
    const outputs = new Map([...(await listTree(repoDir, snapshot))].filter(([path]) => path.startsWith('libs/')));
    const record = await storeResult(repo, 'abc', outputs, { 'result.json': '{"a":1}', 'changes.patch': Buffer.from([0, 1, 2]) });
    expect(testGit(repoDir, 'rev-list', '--count', record)).toBe('1');
    expect(testGit(repoDir, 'ls-tree', '-r', '--name-only', record).split('\n').sort()).toEqual(['changes.patch', 'outputs/libs/auth/index.ts', 'result.json']);
    const hit = await lookupResult(repo, 'abc');
    expect(hit?.outputs).toEqual(outputs);
    // a record of the first layout (with a parent) is never replayed
    testGit(repoDir, 'update-ref', 'refs/nx-worktree-ai/cache/old', testGit(repoDir, 'commit-tree', `${record}^{tree}`, '-p', snapshot, '-m', 'old'));
    expect(await lookupResult(repo, 'old')).toBeNull();
    expect(hit?.artifacts['result.json'].toString()).toBe('{"a":1}');
    expect([...hit!.artifacts['changes.patch']]).toEqual([0, 1, 2]);
  });

  it('stores a record with git fast-import: odd path names intact, a key stored again replaced, its objects loose', async () => {
    const snapshot = await snapshotWorkspace(repo);
    const blob = testGit(repoDir, 'rev-parse', `${snapshot}:README.md`);
    const odd = ['libs/a b/"quoted".ts', 'libs/back\\slash.ts', 'libs/ünï/cödé.ts', 'libs/tab\tname.ts', 'libs/x.sh'];
    const outputs = new Map(odd.map((path, i) => [path, { mode: i === 4 ? '100755' : '100644', oid: blob }]));
    const first = await storeResult(repo, 'odd', outputs, { 'result.json': '{"n":1}\n' }, 'a'.repeat(40));
    expect((await lookupResult(repo, 'odd'))?.outputs).toEqual(outputs);
    expect(await recordStoredFrom(repo, 'odd', 'a'.repeat(40))).toBe(true);
    expect(testGit(repoDir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', first)).toBe('nx-worktree-ai <nx-worktree-ai@users.noreply.invalid>|nx-worktree-ai <nx-worktree-ai@users.noreply.invalid>|nx-worktree-ai result odd');
    // Stored again under the same key (a rerun with --skip-nx-cache): a new record without a parent.
    const second = await storeResult(repo, 'odd', new Map([...outputs].slice(0, 1)), { 'result.json': '{"n":2}\n' });
    expect(second).not.toBe(first);
    expect(testGit(repoDir, 'rev-parse', 'refs/nx-worktree-ai/cache/odd')).toBe(second);
    expect(testGit(repoDir, 'rev-list', '--count', second)).toBe('1');
    expect((await lookupResult(repo, 'odd'))?.artifacts['result.json'].toString()).toBe('{"n":2}\n');
    // A few objects per record: written loose, not as one more pack per record.
    expect(testGit(repoDir, 'count-objects', '-v')).toMatch(/^packs: 0$/m);
  });
});

describe('integration into the workspace', () => {
  let dir: string;
  beforeEach(() => {
    dir = gitRepo({ 'a.txt': 'one\ntwo\nthree\n' });
  });
  afterEach(() => removeDir(dir));

  const v = (text: string) => ({ mode: '100644', content: Buffer.from(text) });

  it('writes the result where the workspace still holds the base, merges concurrent edits 3-way', async () => {
    writeFileSync(join(dir, 'a.txt'), 'ONE\ntwo\nthree\n');
    const changes: PathChange[] = [
      { path: 'a.txt', base: v('one\ntwo\nthree\n'), theirs: v('one\ntwo\nTHREE\n') },
      { path: 'new/b.txt', base: null, theirs: v('b\n') },
    ];
    const plan = await planIntegration(dir, dir, changes);
    expect(plan.conflicts).toEqual([]);
    expect(plan.merged).toEqual(['a.txt']);
    applyPlan(dir, plan);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('ONE\ntwo\nTHREE\n');
    expect(readFileSync(join(dir, 'new/b.txt'), 'utf8')).toBe('b\n');
  });

  it('reports conflicts and writes nothing when planned', async () => {
    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\nmine\n');
    const plan = await planIntegration(dir, dir, [
      { path: 'a.txt', base: v('one\ntwo\nthree\n'), theirs: v('one\ntwo\ntheirs\n') },
      { path: 'c.txt', base: null, theirs: v('c\n') },
    ]);
    expect(plan.conflicts).toEqual(['a.txt']);
    expect(existsSync(join(dir, 'c.txt'))).toBe(false);
  });

  it('rolls back every write when one fails', () => {
    mkdirSync(join(dir, 'blocked'));
    writeFileSync(join(dir, 'blocked', 'x'), 'x');
    expect(() =>
      applyPlan(dir, {
        writes: [
          { path: 'a.txt', file: v('changed\n') },
          { path: 'blocked', file: v('a file where a folder is\n') },
        ],
        conflicts: [],
        merged: [],
      }),
    ).toThrow(/folder/);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('loads versions from git objects, many with one git process, binary content intact', async () => {
    const binary = Buffer.from([0, 10, 255, 10, 10, 13, 0]);
    writeFileSync(join(dir, 'b.bin'), binary);
    writeFileSync(join(dir, 'empty.txt'), '');
    testGit(dir, 'add', 'b.bin', 'empty.txt');
    testGit(dir, 'commit', '-qm', 'more');
    const files = await listTree(dir, 'HEAD');
    const [a, none, b, empty, again] = await loadVersions(dir, [files.get('a.txt'), undefined, files.get('b.bin'), files.get('empty.txt'), files.get('a.txt')]);
    expect(a?.content.toString()).toBe('one\ntwo\nthree\n');
    expect(none).toBeNull();
    expect(b).toEqual({ mode: '100644', content: binary });
    expect(empty?.content.length).toBe(0);
    expect(again).toEqual(a);
    expect(await loadVersions(dir, [files.get('a.txt')])).toEqual([a]);
    await expect(loadVersions(dir, [files.get('a.txt'), { mode: '100644', oid: 'f'.repeat(40) }])).rejects.toThrow(/missing/);
  });
});

describe('worktrees and branch names without a git process', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    root = gitRepo({ 'a.txt': 'a\n' });
    outside = tempDir('nxwa-wtl-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(outside);
  });

  /** What `git worktree list --porcelain` says, in listWorktrees' terms. */
  function gitsOwnList(): { path: string; branch: string | null; locked: boolean }[] {
    return testGit(root, 'worktree', 'list', '--porcelain')
      .split('\n\n')
      .map((block) => ({
        path: /^worktree (.*)$/m.exec(block)![1],
        branch: /^branch refs\/heads\/(.*)$/m.exec(block)?.[1] ?? null,
        locked: /^locked/m.test(block),
      }));
  }

  it('lists the worktrees as git does: main, on a branch, detached, locked, folder gone', async () => {
    testGit(root, 'worktree', 'add', '-q', '-b', 'ai/app/one', join(outside, 'one'));
    testGit(root, 'worktree', 'add', '-q', '--detach', join(outside, 'detached'));
    testGit(root, 'worktree', 'add', '-q', '-b', 'ai/app/locked', join(outside, 'locked'));
    testGit(root, 'worktree', 'lock', join(outside, 'locked'));
    testGit(root, 'worktree', 'add', '-q', '-b', 'ai/app/gone', join(outside, 'gone'));
    removeDir(join(outside, 'gone'));
    const repo = await readRepoInfo(root);
    const ours = listWorktrees(repo);
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect(ours.map(({ path, branch, locked }) => ({ path, branch, locked })).sort(byPath)).toEqual(gitsOwnList().sort(byPath));
    expect(ours.find((w) => w.branch === 'ai/app/one')?.gitDir).toBe(worktreeGitDir(repo, join(outside, 'one')));
    expect(worktreeGitDir(repo, join(outside, 'one'))).toBe(join(root, '.git', 'worktrees', 'one'));
    expect(worktreeGitDir(repo, root)).toBeNull();
    expect(worktreeGitDir(repo, join(outside, 'never'))).toBeNull();
  });

  it('makes ai/<project>/<batch>, and every name the name rules allow is a branch name git accepts', () => {
    expect(batchBranchName('@acme/ui', 'auth.v2')).toBe('ai/@acme/ui/auth.v2');
    for (const [project, batch] of [['@scope/name+x', 'a_b-c.d'], ['a.b', 'z9'], ['x-', 'Y'], ['a@b', '0.lockx']]) {
      const branch = batchBranchName(project, batch);
      expect(testGit(root, 'check-ref-format', '--branch', branch)).toBe(branch);
    }
    for (const [project, batch] of [['a..b', 'x'], ['app', 'x.lock'], ['app', '-x'], ['.app', 'x'], ['app', 'a b'], ['a/', 'x'], ['@', 'x'], ['a@{b', 'x']]) {
      expect(() => batchBranchName(project, batch)).toThrow(`"ai/${project}/${batch}" is not a valid git branch name`);
    }
  });
});
