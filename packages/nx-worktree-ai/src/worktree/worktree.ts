import { constants, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { git, GitError } from './git';
import type { RepoInfo } from './repo';
import { checkoutCone } from './sparse';
import { literalPattern } from './patterns';
import { recordPluginWrites, refWrite } from './plugin-writes';
import { batchNameProblem, projectNameProblem } from '../batch/names';
import { listDir, readText } from '../utils/files';

export interface Worktree {
  dir: string;
  branch: string;
  /** Paths (worktree-relative) the plugin put there itself: never part of the agent's change. */
  prepared: string[];
  /** Folders checked out in a sparse worktree (plus top-level files and those of the folders leading to them); null for a full checkout. */
  cone: string[] | null;
  /**
   * The worktree's git dir (`<common dir>/worktrees/<name>`), read when it was created. The plugin's
   * later git commands in the worktree name it explicitly instead of trusting the `.git` file there,
   * which the agent could rewrite to point them at a repository (and config) of its own.
   */
  gitDir?: string;
}

/** The folder beside the worktrees that agent adapters keep files in (defined with the agent names). */
export { AGENT_FILES_DIR } from '../agents/names';

/**
 * `ai/<project>/<batch>`. The name rules of batch/names.ts are stricter than git's for branch names
 * (they are checked before anything runs); checked again here, without a git process, for callers
 * that come another way.
 */
export function batchBranchName(project: string, batch: string): string {
  const branch = `ai/${project}/${batch}`;
  if (projectNameProblem(project) || batchNameProblem(batch)) {
    throw new Error(`"${branch}" is not a valid git branch name: rename the project or batch (letters, digits, ".", "_", "-").`);
  }
  return branch;
}

/** `ai/<project>/<batch>--sample-<k>`: where sample k of a batch with `samples` runs. */
export function sampleBranchName(branch: string, k: number): string {
  return `${branch}--sample-${k}`;
}

export function assertOutsideWorkspace(root: string, dir: string): void {
  const rel = relative(root, dir);
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    throw new Error(`Worktree folder ${dir} is inside the workspace ${root}: Nx would see its projects twice. Choose a folder outside it (option worktreeDir).`);
  }
}

/** A batch worktree to add: where, on which branch, of which commit, and (sparse) which folders. */
export interface WorktreeSpec {
  /** Folder holding the worktrees (outside the workspace). */
  baseDir: string;
  /** Start of the folder's name (a random suffix follows). */
  name: string;
  branch: string;
  commit: string;
  /** Folders of a sparse worktree (plus top-level files: sparse.ts); null or absent for a full checkout. */
  cone?: string[] | null;
  /** Learns the folder before git creates it (the run registry records it first). */
  beforeAdd?: (dir: string) => void;
}

/**
 * Adds a worktree of `commit` on `branch` (created or reset to `commit`) in a fresh folder under
 * `baseDir` and checks it out: pointBranch, registerWorktree and checkoutWorktree in turn.
 */
export async function addWorktree(repo: RepoInfo, spec: WorktreeSpec): Promise<Worktree> {
  await pointBranch(repo, spec.branch, spec.commit);
  const worktree = await registerWorktree(repo, spec);
  await checkoutWorktree(worktree, spec.commit);
  return worktree;
}

/**
 * Creates the batch branch at `commit`, or resets it there, recorded as the plugin's write first.
 * Call it under the workspace lock: another batch's integrity check then sees the branch move
 * together with its record (worktree/plugin-writes.ts), never the one without the other.
 */
export async function pointBranch(repo: RepoInfo, branch: string, commit: string): Promise<void> {
  recordPluginWrites(repo, [refWrite(`refs/heads/${branch}`, commit)]);
  await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: batch worktree', `refs/heads/${branch}`, commit]);
}

/**
 * Registers a worktree on `branch` (where pointBranch put it) in a fresh folder, without its files
 * (checkoutWorktree writes them). No workspace lock needed: it writes no shared ref, only git's
 * records of the new worktree; `git worktree add` keeps a registration it is still making from
 * `git worktree prune`, and the integrity check of a batch running meanwhile tells a batch worktree
 * being added from anything else.
 */
export async function registerWorktree(repo: RepoInfo, spec: Omit<WorktreeSpec, 'commit'>): Promise<Worktree> {
  const { name, branch, cone = null } = spec;
  // Absolute, so neither git nor the agent ever sees a folder name that reads as an option.
  const baseDir = resolve(repo.root, spec.baseDir);
  assertOutsideWorkspace(repo.root, baseDir);
  mkdirSync(baseDir, { recursive: true });
  const dir = join(baseDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(3).toString('hex')}`);
  spec.beforeAdd?.(dir);
  const add = ['worktree', 'add', '--quiet', '--no-checkout', '--', dir, branch];
  await addRegistration(repo, add).catch(async (error) => {
    if (!(error instanceof GitError) || !/already (checked out|used by worktree)/.test(error.stderr)) throw error;
    // A registration whose folder is gone (prune), or a stale worktree of ours on the branch.
    await git(repo.root, ['worktree', 'prune']);
    await releaseBranchFromStaleWorktree(repo, branch, baseDir);
    await addRegistration(repo, add);
  });
  // Found from the repository's side: no `rev-parse` in a folder whose `.git` file is about to be the agent's.
  const gitDir = worktreeGitDir(repo, dir) ?? resolve(dir, await git(dir, ['rev-parse', '--git-dir']));
  return { dir, branch, prepared: [], cone, gitDir };
}

/**
 * A sibling batch's `git worktree add` half done: git reads every worktree's records to check the
 * branch is not checked out twice, and stops at one whose `commondir` is still empty.
 */
const SIBLING_REGISTERING = /failed to read .*worktrees\/[^/\s]+\/(commondir|gitdir|HEAD)\b/;

/** `git worktree add`, again after a moment while a sibling's registration is being written (it fails before making anything). */
async function addRegistration(repo: RepoInfo, add: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await git(repo.root, add);
      return;
    } catch (error) {
      if (attempt >= 10 || !(error instanceof GitError) || !SIBLING_REGISTERING.test(error.stderr)) throw error;
      await delay(25 * attempt);
    }
  }
}

/**
 * Fills a registered worktree's index and folder from `commit` (only the cone of a sparse one).
 * It writes nothing but the worktree's own folder and index, so batches started together check out
 * side by side instead of in turn under the workspace lock. (No post-checkout hook runs: the
 * worktree is the plugin's, not a checkout of the user's.)
 */
export async function checkoutWorktree(worktree: Worktree, commit: string): Promise<void> {
  const gitDir = worktree.gitDir ?? resolve(worktree.dir, await git(worktree.dir, ['rev-parse', '--git-dir']));
  if (worktree.cone) return checkoutCone(worktree.dir, gitDir, commit, worktree.cone);
  await git(worktree.dir, ['-c', 'core.sparseCheckout=false', 'read-tree', '--reset', '-u', commit], { env: { GIT_DIR: gitDir, GIT_WORK_TREE: worktree.dir } });
}

/**
 * A worktree a killed run left behind still holds the branch; `worktree add -B` refuses (the run
 * itself releases it first, with salvage: recovery/release.ts `releaseBranch`; this is the fallback).
 * Its work is already committed on the branch (the executor commits before anything else), so the
 * folder can go: only folders under our own base dir are touched.
 */
async function releaseBranchFromStaleWorktree(repo: RepoInfo, branch: string, baseDir: string): Promise<void> {
  for (const w of listWorktrees(repo)) {
    if (w.branch === branch && !relative(resolve(baseDir), resolve(w.path)).startsWith('..')) {
      await git(repo.root, ['worktree', 'remove', '--force', '--force', '--', w.path]);
    }
  }
}

export interface WorktreeEntry {
  path: string;
  /** The branch checked out there (without refs/heads/); null when detached. */
  branch: string | null;
  locked: boolean;
  /** A linked worktree's git dir (`<common dir>/worktrees/<id>`); null for the main one. */
  gitDir: string | null;
}

/**
 * The repository's worktrees, as `git worktree list` gives them, read from git's own records
 * (`<common dir>/worktrees/<id>/{gitdir,HEAD,locked}`, gitrepository-layout) without a git process:
 * every run asks, under the workspace lock.
 */
export function listWorktrees(repo: RepoInfo): WorktreeEntry[] {
  const branchOf = (headFile: string) => /^ref: refs\/heads\/(.+)$/m.exec(readText(headFile) ?? '')?.[1] ?? null;
  const bare = basename(repo.commonDir) !== '.git';
  const list: WorktreeEntry[] = [{ path: bare ? repo.commonDir : dirname(repo.commonDir), branch: bare ? null : branchOf(join(repo.commonDir, 'HEAD')), locked: false, gitDir: null }];
  const admin = join(repo.commonDir, 'worktrees');
  for (const id of listDir(admin)) {
    const gitdir = readText(join(admin, id, 'gitdir'))?.trim();
    if (!gitdir) continue;
    list.push({ path: dirname(resolve(admin, id, gitdir)), branch: branchOf(join(admin, id, 'HEAD')), locked: existsSync(join(admin, id, 'locked')), gitDir: join(admin, id) });
  }
  return list;
}

export interface PrepareOptions {
  /** link (symlink, default), copy (copy-on-write clone where the filesystem supports it) or none. */
  nodeModules: 'link' | 'copy' | 'none';
  copyFiles: string[];
}

/** Provides node_modules and copies listed ignored files (e.g. .env) so the agent can build and test. */
export function prepareWorktree(repo: RepoInfo, worktree: Worktree, options: PrepareOptions): void {
  const nodeModules = join(repo.root, 'node_modules');
  const target = join(worktree.dir, 'node_modules');
  if (options.nodeModules !== 'none' && existsSync(nodeModules) && !existsSync(target)) {
    if (options.nodeModules === 'copy') {
      // FICLONE: a reflink (instant, no extra space) on btrfs/xfs/apfs, a plain copy elsewhere.
      cpSync(nodeModules, target, { recursive: true, verbatimSymlinks: true, mode: constants.COPYFILE_FICLONE });
    } else {
      symlinkSync(nodeModules, target, 'junction');
    }
    worktree.prepared.push('node_modules');
  }
  for (const file of options.copyFiles) {
    const from = resolve(repo.root, file);
    const rel = relative(repo.root, from);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`copyFiles: "${file}" is outside the workspace.`);
    if (!existsSync(from) || !lstatSync(from).isFile()) continue;
    const to = join(worktree.dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    worktree.prepared.push(rel.split('\\').join('/'));
  }
}

/**
 * The git dir of the linked worktree at `dir`, found from the repository's side
 * (`<common dir>/worktrees/<name>/gitdir` names `<dir>/.git`), never from the `.git` file in `dir`,
 * which an agent could have rewritten. null when `dir` is not a registered worktree.
 */
export function worktreeGitDir(repo: RepoInfo, dir: string): string | null {
  return listWorktrees(repo).find((w) => w.gitDir && w.path === resolve(dir))?.gitDir ?? null;
}

/** Removes the worktree folder and its registration; the branch stays. Safe to call twice. */
export async function removeWorktree(repo: RepoInfo, worktree: Worktree): Promise<void> {
  // rm does not follow the node_modules symlink: only the link (or the worktree's own copy) goes.
  for (const rel of worktree.prepared) rmSync(join(worktree.dir, rel), { force: true, recursive: true });
  const removed = await git(repo.root, ['worktree', 'remove', '--force', '--force', '--', worktree.dir]).then(
    () => true,
    () => false,
  );
  rmSync(worktree.dir, { recursive: true, force: true });
  if (!removed) await git(repo.root, ['worktree', 'prune']).catch(() => undefined);
  removeEmptyBase(dirname(worktree.dir));
}

/**
 * The default base folder ($TMPDIR/nx-worktree-ai/<workspace-id>) and its parent go with their last
 * worktree. Only empty folders are removed (rmdir refuses any other), so a batch running beside this
 * one keeps its folder; one starting meanwhile gets it back from `git worktree add`, which creates
 * the folders leading to a worktree. A folder chosen with worktreeDir stays.
 */
function removeEmptyBase(baseDir: string): void {
  if (basename(dirname(baseDir)) !== 'nx-worktree-ai') return;
  for (const dir of [baseDir, dirname(baseDir)]) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/**
 * Puts the worktree back to `commit` (the snapshot) between two attempts of a batch: tracked files
 * restored and the batch branch reset (`git checkout -f -B`), everything else removed (`git clean
 * -ffdx`), except what the plugin prepared (the node_modules link, copied files).
 */
export async function resetWorktree(worktree: Worktree, commit: string): Promise<void> {
  await git(worktree.dir, ['checkout', '--quiet', '-f', '-B', worktree.branch, commit]);
  const keep = worktree.prepared.flatMap((path) => ['-e', literalPattern(path)]);
  await git(worktree.dir, ['clean', '-q', '-f', '-f', '-d', '-x', ...keep]);
}
