import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { literalPattern } from './patterns';
import { join } from 'node:path';
import { git, splitNul } from './git';

/**
 * Sparse worktrees without touching the repository's config: one `read-tree` with sparse checkout
 * switched on for that command only (`-c core.sparseCheckout=true`) and the patterns in the
 * worktree's own `info/sparse-checkout` fills the index with every file of the commit, sets the
 * skip-worktree bit on those outside the cone and writes only the cone to disk. `git status` in
 * the worktree stays clean, so the agent sees an ordinary checkout of the folders it needs.
 * (`git sparse-checkout` would turn on extensions.worktreeConfig in the shared config, which is the user's.)
 */
export async function checkoutCone(worktreeDir: string, gitDir: string, commit: string, cone: string[]): Promise<void> {
  mkdirSync(join(gitDir, 'info'), { recursive: true });
  writeFileSync(join(gitDir, 'info', 'sparse-checkout'), sparsePatterns(cone));
  await git(worktreeDir, ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=false', 'read-tree', '--reset', '-u', commit], {
    env: { GIT_DIR: gitDir, GIT_WORK_TREE: worktreeDir },
  });
}

/** The cone's rule: files at the top level always (root config), plus everything under each of these folders. */
function coneFolders(cone: string[]): string[] {
  return cone.filter((dir) => dir && dir !== '.').map((dir) => dir.replace(/\/+$/, ''));
}

/** The cone as non-cone sparse-checkout patterns: top-level files, and each cone folder. */
function sparsePatterns(cone: string[]): string {
  return ['/*', '!/*/', ...coneFolders(cone).map((folder) => `${literalPattern(folder)}/`), ''].join('\n');
}

/**
 * Paths that are skip-worktree in `indexEnv`'s index but exist on disk: the agent wrote where the
 * sparse checkout put nothing. `git add -A` ignores them, so they are listed here to be collected
 * (and then fail the scope guard) instead of vanishing. Only the disk outside the cone is walked
 * (the folders leading to the cone, and whatever the agent created beside them), not every path
 * the sparse checkout left out: at 10k files that is a handful of readdirs instead of 10k lstats.
 */
export async function writtenOutsideCone(worktreeDir: string, cone: string[], indexEnv: Record<string, string>): Promise<string[]> {
  const onDisk = filesOutsideCone(worktreeDir, cone);
  if (!onDisk.length) return [];
  const entries = splitNul(await git(worktreeDir, ['ls-files', '-t', '-z'], { env: indexEnv }));
  const skipped = new Set(entries.filter((entry) => entry.startsWith('S ')).map((entry) => entry.slice(2)));
  return onDisk.filter((path) => skipped.has(path));
}

/** Files and symlinks on disk outside the cone (top-level files are in it; folders inside it are not walked). */
function filesOutsideCone(worktreeDir: string, cone: string[]): string[] {
  const folders = coneFolders(cone);
  const inCone = (dir: string) => folders.some((folder) => dir === folder || dir.startsWith(`${folder}/`));
  const leadsToCone = (dir: string) => folders.some((folder) => folder.startsWith(`${dir}/`));
  const found: string[] = [];
  const walk = (rel: string, outside: boolean) => {
    for (const entry of readdirSync(join(worktreeDir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (!rel && entry.name === '.git') continue;
      if (entry.isDirectory()) {
        if (outside) walk(path, true);
        else if (!inCone(path)) walk(path, !leadsToCone(path));
      } else if (rel) {
        // Below the top level, every file here is outside the cone (a folder leading to it holds none of it).
        found.push(path);
      }
    }
  };
  walk('', false);
  return found;
}
