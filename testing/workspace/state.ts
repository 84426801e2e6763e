/** The workspace's git state and files: what a run must leave alone, and how to compare two states. */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { git } from '../temp';
import { posix, sha256, type Workspace } from './defs';

/**
 * Files under `dir` (from the workspace root; default the whole workspace), as sorted posix paths from
 * the workspace root. Skips .git and node_modules always, and gitignored files unless `includeIgnored`.
 */
export function listFiles(ws: Pick<Workspace, 'root'>, dir = '.', opts: { includeIgnored?: boolean } = {}): string[] {
  if (!opts.includeIgnored) {
    const out = git(ws.root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', dir);
    return [...new Set(out.split('\0').filter(Boolean))].filter((p) => existsSync(join(ws.root, p))).sort();
  }
  const result: string[] = [];
  const walk = (abs: string) => {
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const full = join(abs, entry.name);
      if (entry.isDirectory()) walk(full);
      else result.push(posix(relative(ws.root, full)));
    }
  };
  walk(resolve(ws.root, dir));
  return result.sort();
}

export function readWorkspaceFile(ws: Pick<Workspace, 'root'>, path: string): string {
  return readFileSync(join(ws.root, path), 'utf8');
}

export interface WorkspaceState {
  /** HEAD commit. */
  head: string;
  /** refs/heads/<branch> HEAD points at, or '' when detached. */
  branch: string;
  /** `git ls-files --stage`: the index's content (mode, blob, stage, path), not its stat cache. */
  index: string;
  /** `git status --porcelain`. */
  status: string;
  /** sha256 of every file that is tracked or untracked-not-ignored. */
  files: Record<string, string>;
}

/** Everything a run must leave alone: HEAD, index, status and the content of every non-ignored file. */
export function snapshotWorkspaceState(ws: Pick<Workspace, 'root'>): WorkspaceState {
  const g = (...args: string[]) => git(ws.root, '--no-optional-locks', ...args);
  const files: Record<string, string> = {};
  for (const path of listFiles(ws)) {
    const abs = join(ws.root, path);
    const st = lstatSync(abs);
    files[path] = st.isSymbolicLink() ? `symlink:${abs}` : sha256(readFileSync(abs));
  }
  return {
    head: g('rev-parse', 'HEAD'),
    branch: tryGit(ws.root, '--no-optional-locks', 'symbolic-ref', '-q', 'HEAD'),
    index: g('ls-files', '--stage'),
    status: g('status', '--porcelain=v1', '--untracked-files=all'),
    files,
  };
}

/**
 * Differences between two states, as human lines ([] = identical). `ignorePath` leaves out files a
 * run is allowed to write (a batch's outputs) from the file and status comparison.
 */
export function diffWorkspaceStates(before: WorkspaceState, after: WorkspaceState, ignorePath: (path: string) => boolean = () => false): string[] {
  const diffs: string[] = [];
  if (before.head !== after.head) diffs.push(`HEAD moved: ${before.head} -> ${after.head}`);
  if (before.branch !== after.branch) diffs.push(`HEAD branch changed: ${before.branch} -> ${after.branch}`);
  if (before.index !== after.index) diffs.push(`index changed:\n--- before\n${before.index}\n--- after\n${after.index}`);
  const statusLines = (s: string) =>
    s
      .split('\n')
      .filter(Boolean)
      .filter((l) => !ignorePath(l.slice(3).replace(/^"|"$/g, '')))
      .join('\n');
  if (statusLines(before.status) !== statusLines(after.status)) {
    diffs.push(`git status changed:\n--- before\n${statusLines(before.status)}\n--- after\n${statusLines(after.status)}`);
  }
  const paths = new Set([...Object.keys(before.files), ...Object.keys(after.files)]);
  for (const p of [...paths].sort()) {
    if (ignorePath(p)) continue;
    if (!(p in after.files)) diffs.push(`deleted: ${p}`);
    else if (!(p in before.files)) diffs.push(`created: ${p}`);
    else if (before.files[p] !== after.files[p]) diffs.push(`modified: ${p}`);
  }
  return diffs;
}

function tryGit(cwd: string, ...args: string[]): string {
  try {
    return git(cwd, ...args);
  } catch {
    return '';
  }
}

/** `git add -A && git commit` in the workspace; returns the new HEAD. */
export function commitAll(ws: Pick<Workspace, 'root'>, message: string): string {
  git(ws.root, 'add', '-A');
  git(ws.root, 'commit', '-q', '--allow-empty', '-m', message);
  return git(ws.root, 'rev-parse', 'HEAD');
}

/** Local branches, e.g. ['ai/auth/auth-module', 'main']. */
export function branches(ws: Pick<Workspace, 'root'>): string[] {
  return git(ws.root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/')
    .split('\n')
    .filter(Boolean)
    .sort();
}

