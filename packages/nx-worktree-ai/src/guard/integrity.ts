import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readText } from '../utils/files';
import { pluginWritesSince } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import type { IntegrityBaseline, IntegrityScope } from './scope';
import { aroundState } from './around';
import { changedFiles } from './fingerprint';
import { comesWithABatchWorktree, gitFileState } from './git-files';
import { adminDirOf, headFindings, headState } from './heads';
import { shownPath } from './messages';
import { refFindings, refState } from './refs';
import { workspaceFindings, workspaceState } from './workspace';

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
 * `escapingSymlinks` (symlinks.ts) checks the collected change itself: a symlink whose target is absolute or
 * climbs out of the worktree (or into .git) would, once applied, point the workspace anywhere.
 */

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
  // A confined agent cannot write the workspace, beside its worktree or any shared ref (its branch
  // folder is a private copy, and no CLI state folder may reach the repository: sandbox/policy.ts):
  // those scans are skipped. Otherwise two git processes, side by side.
  const [workspace, refs] = confined ? [new Map<string, string>(), new Map<string, string>()] : await Promise.all([workspaceState(repo.root), refState(repo)]);
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
  const confined = scope.writable ?? null;
  // What the plugin wrote meanwhile explains workspace, ref and HEAD changes, none of which a confined run compares.
  const writes = confined ? [] : pluginWritesSince(scope.repo, baseline.at);
  const mayWrite = (path: string) => !confined || confined.some((dir) => isWithin(realParent(path), dir));
  const findings: string[] = [];
  if (!confined) {
    const [inWorkspace, refsAfter] = await Promise.all([workspaceFindings(scope, baseline, writes), refState(scope.repo)]);
    findings.push(...inWorkspace, ...(await refFindings(scope, baseline.refs, refsAfter, writes)));
  }
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
