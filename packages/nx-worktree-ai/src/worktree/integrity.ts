import { AGENT_FILES_DIR } from './worktree';
import { listDir, readText } from '../utils/files';
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { readWorkspaceFile } from './apply';
import { CACHE_REF_PREFIX, RECORD_OUTPUTS } from './result-cache';
import { git, gitRaw, splitNul } from './git';
import { fileSig, pluginWritesSince, recordPluginWrites, refWrite, type PluginWrite } from './plugin-writes';
import type { RepoInfo } from './repo';
import { readBlob, type TreeFiles } from './tree';

/**
 * "Nobody in": did the agent reach outside its worktree?
 *
 * Before the agent starts and after it has ended (both under the workspace lock, so no integration
 * of another batch is half done), the executor fingerprints what the agent had no business changing:
 *
 * - the workspace: `git status` of the user's checkout (tracked and untracked files, not ignored
 *   ones) plus lstat of every path it lists. A path that changed is explained when the plugin wrote
 *   exactly that content itself (worktree/plugin-writes.ts: another batch integrated it meanwhile) or
 *   when the content is what some batch produced (an Nx cache restore of another batch's outputs).
 *   Paths inside this batch's own outputs are left to the 3-way integration, which never overwrites
 *   an edit made during the run. `.nx-worktree-ai/` and `.nx/` are not checked (the plugin's and Nx's own);
 * - git state shared with the user's repository: every ref (branches, tags, stash, remote refs,
 *   packed or loose), the HEAD of the main worktree and of every worktree that is not a batch's,
 *   the config (also each worktree's config.worktree and the user's global git config), hooks/,
 *   info/ and objects/info/alternates. Ref writes the plugin recorded are explained; the batch's own
 *   branch and worktree-private state (its HEAD, index, logs) are the agent's to use. A deleted ref
 *   is put back (that loses nothing); everything else is only reported;
 * - around the worktree: the entries of the folder that holds the worktrees and prompt files (other
 *   batches' worktrees come and go there; anything else is not the plugin's), the worktree's own
 *   `.git` file (a rewritten one would point the plugin's later git commands at another repository),
 *   and a few dotfiles in the home folder that are classic places to plant a command (shell rc
 *   files, ~/.npmrc, ~/.ssh/authorized_keys and config).
 *
 * Without the OS sandbox the plugin cannot tell who made a change: an edit the user makes meanwhile
 * (outside the batch's outputs), a commit, a checkout, is reported too. With it (scope.writable),
 * only what the agent could write is compared: its own worktree's git files and `.git` file (no
 * shared ref is writable to it); the workspace, the user's refs and HEADs are left to the user.
 * Findings name what changed; the caller fails the batch (or warns, with `integrity: warn`) and
 * applies nothing.
 *
 * `escapingSymlinks` checks the collected change itself: a symlink whose target is absolute or
 * climbs out of the worktree (or into .git) would, once applied, point the workspace anywhere.
 */

export interface IntegrityScope {
  repo: RepoInfo;
  /** The batch's worktree folder. */
  worktreeDir: string;
  /** The batch's branch (`ai/<project>/<batch>`): the agent may commit on it. */
  branch: string;
  /** Folder holding the worktrees (and their prompt files). */
  baseDir: string;
  /** Workspace-relative paths the batch may write. */
  isOutput: (path: string) => boolean;
  /**
   * The agent ran confined by the OS sandbox (sandbox/) and could write only these folders: a change
   * anywhere else is somebody else's (the user's, git's own maintenance) and is not looked at.
   */
  writable?: string[] | null;
}

export interface IntegrityBaseline {
  at: number;
  workspace: Map<string, string>;
  refs: Map<string, string>;
  heads: Map<string, string>;
  gitFiles: Map<string, string>;
  around: Map<string, string>;
  gitFile: string | null;
  adminDir: string | null;
}

/** Folders of the workspace the check leaves alone: the plugin's artifacts and Nx's own state. */
const UNCHECKED_PREFIXES = ['.nx-worktree-ai/', '.nx/'];
/** A batch worktree folder and its prompt file, as worktree/worktree.ts names them. */
const WORKTREE_ENTRY = /-[0-9a-f]{6}(\.prompt\.md)?$/;
const HOME_FILES = ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.zshrc', '.zprofile', '.zshenv', '.npmrc', '.ssh/authorized_keys', '.ssh/config'];
const MAX_WALK_ENTRIES = 5000;
/** Files git's own maintenance rewrites (gc runs update-server-info): never an agent's doing to report. */
const GIT_MAINTENANCE = new Set(['info/refs', 'info/packs']);

/** Fingerprints everything the check compares. Call under the workspace lock, right before the agent starts. */
export async function captureBaseline(scope: IntegrityScope, now = Date.now()): Promise<IntegrityBaseline> {
  return completeBaseline(await captureSharedState(scope.repo, scope.baseDir, now, !!scope.writable), scope.worktreeDir);
}

/** The baseline without the worktree's own `.git` file: all of it but what only the batch's worktree holds. */
export type SharedBaseline = Omit<IntegrityBaseline, 'gitFile' | 'adminDir'>;

/**
 * The part of the baseline that needs the workspace lock (no integration of another batch half
 * done) and no worktree yet: the run takes it before its worktree is added, which then needs no lock.
 */
export async function captureSharedState(repo: RepoInfo, baseDir: string, now = Date.now(), confined = false): Promise<SharedBaseline> {
  // A confined agent cannot write the workspace or beside its worktree: those scans are skipped.
  // Otherwise two git processes, side by side.
  const [workspace, refs] = await Promise.all([confined ? new Map<string, string>() : workspaceState(repo.root), refState(repo)]);
  return { at: now, workspace, refs, heads: headState(repo), gitFiles: gitFileState(repo), around: confined ? new Map() : aroundState(baseDir, null) };
}

/** Adds the worktree's `.git` file (read from the worktree folder once it exists) to a shared baseline. */
export function completeBaseline(shared: SharedBaseline, worktreeDir: string): IntegrityBaseline {
  const gitFile = readText(join(worktreeDir, '.git'));
  return { ...shared, gitFile, adminDir: adminDirOf(worktreeDir, gitFile) };
}

/**
 * What changed since `baseline` that neither the plugin nor the batch's own worktree explains, one
 * phrase per change ("deleted branch feature"). Call under the workspace lock, right after the
 * agent's process group is gone.
 */
export async function checkIntegrity(scope: IntegrityScope, baseline: IntegrityBaseline): Promise<string[]> {
  const writes = pluginWritesSince(scope.repo, baseline.at);
  const confined = scope.writable ?? null;
  const mayWrite = (path: string) => !confined || confined.some((dir) => isWithin(realParent(path), dir));
  const [inWorkspace, refsAfter] = await Promise.all([confined ? [] : workspaceFindings(scope, baseline, writes), refState(scope.repo)]);
  const findings: string[] = [...inWorkspace];
  const refPath = (ref: string) => join(scope.repo.commonDir, ref);
  findings.push(...(await refFindings(scope, onlyKeys(baseline.refs, refPath, mayWrite), onlyKeys(refsAfter, refPath, mayWrite), writes)));
  const headsAfter = headState(scope.repo);
  if (!confined) findings.push(...headFindings(scope, baseline, headsAfter, writes));
  findings.push(
    ...changedFiles(baseline.gitFiles, gitFileState(scope.repo))
      .filter(([path, how]) => mayWrite(path) && !comesWithABatchWorktree(scope.repo, path, how, baseline.heads, headsAfter))
      .map(([path, how]) => `${how} ${shownPath(scope.repo, path)}`),
  );
  if (!confined) findings.push(...changedFiles(baseline.around, aroundState(scope.baseDir, scope.worktreeDir)).map(([path, how]) => `${how} ${shownPath(scope.repo, path)} outside the worktree`));
  const gitFile = readText(join(scope.worktreeDir, '.git'));
  if (gitFile !== baseline.gitFile) findings.push(`rewrote the worktree's .git file (${gitFile === null ? 'removed' : `now ${JSON.stringify(gitFile.trim().slice(0, 200))}`})`);
  return findings;
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** `path` with its folder's symlinks resolved (the sandbox's folders are real paths); the file itself need not exist. */
function realParent(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/** The entries of `map` whose key, as a path, passes `keep`. */
function onlyKeys(map: Map<string, string>, pathOf: (key: string) => string, keep: (path: string) => boolean): Map<string, string> {
  return new Map([...map].filter(([key]) => keep(pathOf(key))));
}

/** "the agent reached outside its worktree: <finding>; <finding>" (at most 12 shown). */
export function describeFindings(findings: string[]): string {
  const shown = findings.slice(0, 12).join('; ') + (findings.length > 12 ? `; and ${findings.length - 12} more` : '');
  return `the agent reached outside its worktree: ${shown}`;
}

/**
 * The failure message: what was found, that nothing was applied and where the work is. `observed`:
 * some findings come from comparing state before and after the run, so someone else may have made them.
 */
export function reachedOutsideMessage(findings: string[], branch: string, transcript: string, observed: boolean): string {
  const who = observed
    ? 'nx-worktree-ai cannot tell who made a change during the run: if it was you, run the batch again; if not, check what the agent did'
    : 'Check what the agent did';
  return `${describeFindings(findings)}. Nothing was applied; the work is on branch ${branch}. ${who} (transcript: ${transcript}).`;
}

// ---------------------------------------------------------------------------------------------
// Workspace

async function workspaceState(root: string): Promise<Map<string, string>> {
  // No fsmonitor: a hook planted in the config would otherwise run right here, as the plugin.
  const out = await git(root, ['-c', 'core.fsmonitor=false', 'status', '--porcelain=v1', '-z', '-uall', '--no-renames', '--ignore-submodules=all']);
  const state = new Map<string, string>();
  for (const record of splitNul(out)) {
    const path = record.slice(3);
    if (UNCHECKED_PREFIXES.some((p) => path.startsWith(p))) continue;
    state.set(path, `${record.slice(0, 2)}|${statSig(join(root, path))}`);
  }
  return state;
}

async function workspaceFindings(scope: IntegrityScope, baseline: IntegrityBaseline, writes: PluginWrite[]): Promise<string[]> {
  const after = await workspaceState(scope.repo.root);
  const written = new Map<string, Set<string>>();
  for (const w of writes) if (w.kind === 'file') written.set(w.path, (written.get(w.path) ?? new Set()).add(w.sig));
  const unexplained: Array<{ path: string; how: string }> = [];
  for (const path of new Set([...baseline.workspace.keys(), ...after.keys()])) {
    const before = baseline.workspace.get(path);
    const now = after.get(path);
    if (before === now || scope.isOutput(path)) continue;
    const current = readWorkspaceFile(scope.repo.root, path);
    if (written.get(path)?.has(fileSig(current))) continue;
    const how = current === null ? 'deleted' : before === undefined && now?.startsWith('??') ? 'created' : 'changed';
    unexplained.push({ path, how });
  }
  const produced = await producedByABatch(
    scope.repo,
    unexplained.filter((u) => u.how !== 'deleted').map((u) => u.path),
  );
  return unexplained
    .filter((u) => !produced.has(u.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((u) => `${u.how} ${u.path} in the workspace`);
}

/**
 * Paths whose workspace content is exactly what a batch produced: the same blob at the same path
 * in a batch branch or a result-cache entry (Nx restores a cached batch's outputs that way).
 */
async function producedByABatch(repo: RepoInfo, paths: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!paths.length) return found;
  const refs = splitLines(await git(repo.root, ['for-each-ref', '--format=%(refname)', 'refs/heads/ai/', CACHE_REF_PREFIX]));
  if (!refs.length) return found;
  // A cache record keeps the batch's files under outputs/ (worktree/result-cache.ts); a branch at their paths.
  const prefixOf = (ref: string) => (ref.startsWith(CACHE_REF_PREFIX) ? `${ref}:${RECORD_OUTPUTS}` : `${ref}:`);
  for (const path of paths) {
    const current = readWorkspaceFile(repo.root, path);
    if (!current) continue;
    const oid = await git(repo.root, ['hash-object', '-t', 'blob', '--stdin'], { input: current.content });
    const query = refs.map((ref) => `${prefixOf(ref)}${path}`).join('\n');
    const { stdout } = await gitRaw(repo.root, ['cat-file', '--batch-check=%(objectname)'], { input: `${query}\n` });
    if (stdout.toString('utf8').split('\n').includes(oid)) found.add(path);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Refs and HEADs

async function refState(repo: RepoInfo): Promise<Map<string, string>> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(refname)%00%(objectname)']);
  const refs = new Map<string, string>();
  for (const line of splitLines(out)) {
    const [ref, oid] = line.split('\0');
    refs.set(ref, oid);
  }
  return refs;
}

/**
 * Ref changes nobody recorded. A deleted ref is put back where it was (recreating a ref cannot lose
 * anything; if the user deleted it meanwhile, they delete it again); a moved or created one is only
 * reported: undoing it could drop the user's own commits.
 */
async function refFindings(scope: IntegrityScope, before: Map<string, string>, after: Map<string, string>, writes: PluginWrite[]): Promise<string[]> {
  const recorded = new Map<string, Set<string | null>>();
  for (const w of writes) if (w.kind === 'ref') recorded.set(w.ref, (recorded.get(w.ref) ?? new Set()).add(w.oid));
  const own = `refs/heads/${scope.branch}`;
  const findings: string[] = [];
  for (const ref of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [was, now] = [before.get(ref), after.get(ref)];
    if (was === now || ref === own || recorded.get(ref)?.has(now ?? null)) continue;
    const name = refLabel(ref);
    if (was === undefined) findings.push(`created ${name}`);
    else if (now === undefined) findings.push(`deleted ${name} (${await putBack(scope.repo, ref, was)})`);
    else findings.push(`moved ${name} (${was.slice(0, 10)} -> ${now.slice(0, 10)})`);
  }
  return findings;
}

async function putBack(repo: RepoInfo, ref: string, oid: string): Promise<string> {
  try {
    recordPluginWrites(repo, [refWrite(ref, oid)]);
    await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: put back a ref deleted during an agent run', ref, oid, '']);
    return `put back at ${oid.slice(0, 12)}`;
  } catch {
    return `it was at ${oid}: git update-ref ${ref} ${oid}`;
  }
}

function refLabel(ref: string): string {
  if (ref.startsWith('refs/heads/')) return `branch ${ref.slice('refs/heads/'.length)}`;
  if (ref.startsWith('refs/tags/')) return `tag ${ref.slice('refs/tags/'.length)}`;
  return `ref ${ref}`;
}

const MAIN = '(main worktree)';

/** HEAD of the main worktree and of every linked worktree, by admin folder name. */
function headState(repo: RepoInfo): Map<string, string> {
  const heads = new Map<string, string>();
  heads.set(MAIN, readText(join(repo.commonDir, 'HEAD')) ?? '');
  for (const name of listDir(join(repo.commonDir, 'worktrees'))) {
    const head = readText(join(repo.commonDir, 'worktrees', name, 'HEAD'));
    // A worktree `git worktree add` is still making has a placeholder HEAD of zeros: not there yet.
    if (head !== null && !/^0+\s*$/.test(head)) heads.set(name, head);
  }
  return heads;
}

function headFindings(scope: IntegrityScope, baseline: IntegrityBaseline, after: Map<string, string>, writes: PluginWrite[]): string[] {
  const own = baseline.adminDir ? basename(baseline.adminDir) : null;
  const detachedTo = new Set(writes.filter((w) => w.kind === 'ref' && w.ref === 'HEAD').map((w) => (w as { oid: string | null }).oid));
  const findings: string[] = [];
  for (const name of new Set([...baseline.heads.keys(), ...after.keys()])) {
    if (name === own) continue;
    const [was, now] = [baseline.heads.get(name), after.get(name)];
    if (was === now) continue;
    const where = name === MAIN ? 'the main worktree' : `the worktree ${worktreePathOf(scope.repo, name) ?? name}`;
    if (was === undefined) {
      if (!isBatchHead(now)) findings.push(`added ${where} (HEAD ${now?.trim()})`);
    } else if (now === undefined) {
      // Another batch's worktree removed, or one whose folder is gone pruned by `git worktree prune`.
      const path = worktreePathOf(scope.repo, name);
      if (!isBatchHead(was) && path !== null && existsSync(path)) findings.push(`removed the registration of ${where}`);
    } else if (!isBatchHead(was) && !(name === MAIN && detachedTo.has(now.trim()))) {
      findings.push(`switched the HEAD of ${where} (${was.trim()} -> ${now.trim()})`);
    }
  }
  return findings;
}

/** A worktree on a batch branch (`ai/...`). */
function isBatchHead(head: string | undefined): boolean {
  return !!head && head.trim().startsWith('ref: refs/heads/ai/');
}

/** The folder of a linked worktree, from its admin folder's `gitdir` file (null when unknown). */
function worktreePathOf(repo: RepoInfo, name: string): string | null {
  const gitdir = readText(join(repo.commonDir, 'worktrees', name, 'gitdir'));
  return gitdir ? dirname(gitdir.trim()) : null;
}

function adminDirOf(worktreeDir: string, gitFile: string | null): string | null {
  const m = gitFile && /^gitdir: (.+)$/m.exec(gitFile);
  return m ? resolve(worktreeDir, m[1].trim()) : null;
}

// ---------------------------------------------------------------------------------------------
// Files: git config, hooks, info, alternates, global config; around the worktree

function gitFileState(repo: RepoInfo): Map<string, string> {
  const state = new Map<string, string>();
  const add = (path: string) => state.set(path, contentSig(path));
  add(join(repo.commonDir, 'config'));
  add(join(repo.commonDir, 'objects', 'info', 'alternates'));
  for (const name of listDir(join(repo.commonDir, 'worktrees'))) add(join(repo.commonDir, 'worktrees', name, 'config.worktree'));
  for (const dir of ['hooks', 'info']) for (const file of walk(join(repo.commonDir, dir))) if (!GIT_MAINTENANCE.has(relative(repo.commonDir, file))) add(file);
  for (const file of globalConfigFiles()) add(file);
  return state;
}

/**
 * With `extensions.worktreeConfig` (which `git sparse-checkout` turns on), `git worktree add` copies
 * the main worktree's config.worktree into the worktree it adds, and `git worktree remove` takes it
 * away with the worktree: batch worktrees added or removed during the run (other batches add theirs
 * without the workspace lock) bring or take one. Explained only for a worktree on a batch branch or
 * one git is still adding (no HEAD yet in `heads`): a new one when it is exactly the main worktree's
 * (git drops core.bare and core.worktree from its copy; a main config.worktree holding those is
 * reported, safe side), a deleted one when its worktree's whole registration went with it
 * (headFindings reports a registration removed that was not a batch's).
 */
function comesWithABatchWorktree(repo: RepoInfo, path: string, how: string, headsBefore: Map<string, string>, headsAfter: Map<string, string>): boolean {
  const admin = join(repo.commonDir, 'worktrees');
  if (dirname(dirname(path)) !== admin || basename(path) !== 'config.worktree') return false;
  const name = basename(dirname(path));
  const batchOrAdding = (head: string | undefined) => head === undefined || isBatchHead(head);
  if (how === 'created') return batchOrAdding(headsAfter.get(name)) && contentSig(path) === contentSig(join(repo.commonDir, 'config.worktree'));
  return how === 'deleted' && batchOrAdding(headsBefore.get(name)) && !existsSync(dirname(path));
}

function globalConfigFiles(): string[] {
  const home = homedir();
  const xdg = process.env.XDG_CONFIG_HOME || join(home, '.config');
  const files = [join(home, '.gitconfig'), join(xdg, 'git', 'config')];
  if (process.env.GIT_CONFIG_GLOBAL) files.push(resolve(process.env.GIT_CONFIG_GLOBAL));
  return files;
}

/** The entries of `baseDir` that are no batch's worktree or prompt file (`worktreeDir`: the batch's own, when it exists), and the home dotfiles. */
function aroundState(baseDir: string, worktreeDir: string | null): Map<string, string> {
  const state = new Map<string, string>();
  const own = worktreeDir && basename(worktreeDir);
  for (const name of listDir(baseDir)) {
    if (name === own || name === `${own}.prompt.md` || name === AGENT_FILES_DIR || WORKTREE_ENTRY.test(name)) continue;
    const path = join(baseDir, name);
    state.set(path, statSig(path, true));
  }
  for (const file of HOME_FILES) {
    const path = join(homedir(), file);
    state.set(path, statSig(path));
  }
  return state;
}

/** [path, "created" | "changed" | "deleted"] for every path whose signature differs. */
function changedFiles(before: Map<string, string>, after: Map<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [was, now] = [before.get(path) ?? 'absent', after.get(path) ?? 'absent'];
    if (was === now) continue;
    out.push([path, was === 'absent' ? 'created' : now === 'absent' ? 'deleted' : 'changed']);
  }
  return out;
}

function shownPath(repo: RepoInfo, path: string): string {
  const rel = relative(repo.root, path);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split('\\').join('/');
  const home = homedir();
  const fromHome = relative(home, path);
  if (!fromHome.startsWith('..') && !isAbsolute(fromHome)) return `~/${fromHome.split('\\').join('/')}`;
  return path;
}

// ---------------------------------------------------------------------------------------------
// Symlinks in the collected change

/**
 * Symlinks among `paths` (in `files`, the result tree) whose target is absolute, climbs out of the
 * worktree, or leads into a .git folder: applied to the workspace, they would point it anywhere.
 */
export async function escapingSymlinks(repoRoot: string, files: TreeFiles, paths: string[]): Promise<string[]> {
  const findings: string[] = [];
  for (const path of paths) {
    const entry = files.get(path);
    if (!entry || entry.mode !== '120000') continue;
    const target = (await readBlob(repoRoot, entry.oid)).toString('utf8');
    const why = symlinkEscape(path, target);
    if (why) findings.push(`created the symlink ${path} -> ${target} (${why})`);
  }
  return findings;
}

/** Why a symlink at `path` (repo-relative) with `target` escapes, or null. */
export function symlinkEscape(path: string, target: string): string | null {
  const t = target.replace(/\\/g, '/');
  if (t.startsWith('/') || /^[A-Za-z]:/.test(t) || t.startsWith('~')) return 'an absolute target, outside the worktree';
  const resolved = posix.normalize(posix.join(posix.dirname(path), t));
  if (resolved === '..' || resolved.startsWith('../')) return 'it points outside the worktree';
  if (resolved.split('/').includes('.git')) return 'it points into .git';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Files below `dir` (symlinks not followed), at most MAX_WALK_ENTRIES. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const name of listDir(d)) {
      if (out.length >= MAX_WALK_ENTRIES) return;
      const path = join(d, name);
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory() && depth < 8) visit(path, depth + 1);
      else out.push(path);
    }
  };
  visit(dir, 0);
  return out;
}

/** lstat signature; "absent" when missing. Folders: "dir" only (`dirAsType`) or with mtime. */
function statSig(path: string, dirAsType = false): string {
  try {
    const s = lstatSync(path, { bigint: true });
    if (dirAsType && s.isDirectory()) return 'dir';
    return `${s.mode}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch {
    return 'absent';
  }
}

/** Content and mode signature of a small file (config, hooks); "absent" when missing. */
function contentSig(path: string): string {
  try {
    const s = lstatSync(path);
    if (s.isSymbolicLink()) return `link:${readLinkSafe(path)}`;
    if (!s.isFile()) return `other:${s.mode}`;
    return fileSig({ mode: String(s.mode), content: readFileSync(path) });
  } catch {
    return 'absent';
  }
}

function readLinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function splitLines(text: string): string[] {
  return text.split('\n').filter(Boolean);
}
