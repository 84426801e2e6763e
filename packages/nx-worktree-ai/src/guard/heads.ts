import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { listDir, readText } from '../utils/files';
import type { PluginWrite } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import type { IntegrityBaseline, IntegrityScope } from './scope';

// The HEAD of the main worktree and of every worktree that is not a batch's.

const MAIN = '(main worktree)';

/** HEAD of the main worktree and of every linked worktree, by admin folder name. */
export function headState(repo: RepoInfo): Map<string, string> {
  const heads = new Map<string, string>();
  heads.set(MAIN, readText(join(repo.commonDir, 'HEAD')) ?? '');
  for (const name of listDir(join(repo.commonDir, 'worktrees'))) {
    const head = readText(join(repo.commonDir, 'worktrees', name, 'HEAD'));
    // A worktree `git worktree add` is still making has a placeholder HEAD of zeros: not there yet.
    if (head !== null && !/^0+\s*$/.test(head)) heads.set(name, head);
  }
  return heads;
}

export function headFindings(scope: IntegrityScope, baseline: IntegrityBaseline, after: Map<string, string>, writes: PluginWrite[]): string[] {
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
export function isBatchHead(head: string | undefined): boolean {
  return !!head && head.trim().startsWith('ref: refs/heads/ai/');
}

/** The folder of a linked worktree, from its admin folder's `gitdir` file (null when unknown). */
function worktreePathOf(repo: RepoInfo, name: string): string | null {
  const gitdir = readText(join(repo.commonDir, 'worktrees', name, 'gitdir'));
  return gitdir ? dirname(gitdir.trim()) : null;
}

export function adminDirOf(worktreeDir: string, gitFile: string | null): string | null {
  const m = gitFile && /^gitdir: (.+)$/m.exec(gitFile);
  return m ? resolve(worktreeDir, m[1].trim()) : null;
}
