import { homedir } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import type { RepoInfo } from '../worktree/repo';

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

/** A path as a finding names it: workspace-relative, from the home folder (~/...), or absolute. */
export function shownPath(repo: RepoInfo, path: string): string {
  const rel = relative(repo.root, path);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split('\\').join('/');
  const home = homedir();
  const fromHome = relative(home, path);
  if (!fromHome.startsWith('..') && !isAbsolute(fromHome)) return `~/${fromHome.split('\\').join('/')}`;
  return path;
}
