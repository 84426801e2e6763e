import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readFileSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh directory under the OS temp dir (realpath, so comparisons with git's output hold). */
export function tempDir(prefix = 'nxwa-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Writes files given as { 'path/from/root': 'content' }, creating folders. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Runs git in `cwd` and returns stdout (trimmed). Test-side only: the plugin has its own runner. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...TEST_GIT_IDENTITY } }).trim();
}

export const TEST_GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

/**
 * Makes `root` a repository as `git sparse-checkout` leaves it (extensions.worktreeConfig, a
 * config.worktree in the main worktree): git then copies that file into every worktree it adds.
 */
export function useWorktreeConfig(root: string): void {
  git(root, 'config', 'extensions.worktreeConfig', 'true');
  git(root, 'config', '--worktree', 'core.sparseCheckout', 'false');
}

/** A git repo with `files` committed on main. */
export function gitRepo(files: Record<string, string>, prefix?: string): string {
  const dir = tempDir(prefix);
  git(dir, 'init', '-q', '-b', 'main');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'initial');
  return dir;
}

/**
 * A temp folder for the specs of the enclosing `describe`, made before and removed after them
 * (`each`: a fresh one per test). `.path` is the current one.
 */
export function tempDirFor(prefix: string, opts: { each?: boolean; files?: Record<string, string> } = {}): { readonly path: string } {
  let dir = '';
  (opts.each ? beforeEach : beforeAll)(() => {
    dir = tempDir(prefix);
    if (opts.files) writeFiles(dir, opts.files);
  });
  (opts.each ? afterEach : afterAll)(() => removeDir(dir));
  return {
    get path() {
      return dir;
    },
  };
}

/** A git repository holding `files` for each test of the enclosing `describe`, removed after it. */
export function gitRepoFor(files: Record<string, string>): { readonly path: string } {
  let dir = '';
  beforeEach(() => void (dir = gitRepo(files)));
  afterEach(() => removeDir(dir));
  return {
    get path() {
      return dir;
    },
  };
}

/** A bare repository `first` pushes main to (as `remote`), and a clone of it: two clones sharing one remote. */
export function clonePair(first: string, remote: string, dirs: string[]): { bare: string; second: string } {
  const bare = tempDir('nxwa-bare-');
  const second = tempDir('nxwa-clone-');
  dirs.push(bare, second);
  git(bare, 'init', '-q', '--bare');
  git(first, 'remote', 'add', remote, bare);
  git(first, 'push', '-q', remote, 'main');
  git(second, 'clone', '-q', '-b', 'main', bare, '.');
  return { bare, second };
}

/** The most `+` lines not yet matched by a `-` line in a log that overlapping workers append to. */
export function maxOverlap(log: string): number {
  let running = 0;
  let max = 0;
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    running += line === '+' ? 1 : -1;
    max = Math.max(max, running);
  }
  return max;
}
