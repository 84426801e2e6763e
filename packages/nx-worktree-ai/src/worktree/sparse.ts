import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { git, splitNul } from './git';

/**
 * Sparse worktrees without touching the repository's config: the worktree's index holds every
 * file of the commit, those outside the cone carry the skip-worktree bit, and only the cone is
 * written to disk. `git status` in the worktree stays clean, so the agent sees an ordinary
 * checkout of the folders it needs. (`git sparse-checkout` would turn on extensions.worktreeConfig
 * in the shared config, which is the user's.)
 */
export async function checkoutCone(worktreeDir: string, commit: string, cone: string[]): Promise<{ checkedOut: number; skipped: number }> {
  await git(worktreeDir, ['read-tree', commit]);
  const files = splitNul(await git(worktreeDir, ['ls-files', '-z']));
  const inCone = coneMatcher(cone);
  const skipped = files.filter((path) => !inCone(path));
  if (skipped.length) await git(worktreeDir, ['update-index', '-z', '--skip-worktree', '--stdin'], { input: `${skipped.join('\0')}\0` });
  await git(worktreeDir, ['checkout-index', '--all', '--force']);
  return { checkedOut: files.length - skipped.length, skipped: skipped.length };
}

/** Files at the top level always (root config), plus everything under each cone folder. */
export function coneMatcher(cone: string[]): (path: string) => boolean {
  const prefixes = cone.filter((dir) => dir && dir !== '.').map((dir) => `${dir.replace(/\/+$/, '')}/`);
  return (path) => !path.includes('/') || prefixes.some((prefix) => path.startsWith(prefix));
}

/**
 * Paths that are skip-worktree in `indexEnv`'s index but exist on disk: the agent wrote where the
 * sparse checkout put nothing. `git add -A` ignores them, so they are listed here to be collected
 * (and then fail the scope guard) instead of vanishing.
 */
export async function writtenOutsideCone(worktreeDir: string, indexEnv: Record<string, string>): Promise<string[]> {
  const entries = splitNul(await git(worktreeDir, ['ls-files', '-t', '-z'], { env: indexEnv }));
  const written: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith('S ')) continue;
    const path = entry.slice(2);
    try {
      lstatSync(join(worktreeDir, path));
      written.push(path);
    } catch {
      // not on disk: untouched, as the sparse checkout left it
    }
  }
  return written;
}
