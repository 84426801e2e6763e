import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { literalPattern } from './patterns';
import { join } from 'node:path';
import { git, splitNul } from './git';

/**
 * Sparse worktrees without touching the repository's config: one `read-tree` with sparse checkout
 * switched on for that command only (`-c core.sparseCheckout=true`) and the patterns in the
 * worktree's own `info/sparse-checkout` fills the index with every file of the commit, sets the
 * skip-worktree bit on those outside the cone and writes only the cone to disk. Cone-mode patterns
 * (git matches them by folder, not each path against each pattern: a third of the time at 10k files). `git status` in
 * the worktree stays clean, so the agent sees an ordinary checkout of the folders it needs.
 * (`git sparse-checkout` would turn on extensions.worktreeConfig in the shared config, which is the user's.)
 */
export async function checkoutCone(worktreeDir: string, gitDir: string, commit: string, cone: string[]): Promise<void> {
  mkdirSync(join(gitDir, 'info'), { recursive: true });
  writeFileSync(join(gitDir, 'info', 'sparse-checkout'), sparsePatterns(cone));
  await git(worktreeDir, ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=true', 'read-tree', '--reset', '-u', commit], {
    env: { GIT_DIR: gitDir, GIT_WORK_TREE: worktreeDir },
  });
}

/**
 * The cone's rule, as `git sparse-checkout set --cone` has it: files at the top level always (root
 * config), everything under each of these folders, and the files directly in the folders that lead
 * to them (`libs/README.md` for `libs/auth`).
 */
function coneFolders(cone: string[]): string[] {
  const folders = [...new Set(cone.filter((dir) => dir && dir !== '.').map((dir) => dir.replace(/\/+$/, '')))];
  // A folder inside another cone folder adds nothing (and would break the pattern's shape).
  return folders.filter((folder) => !folders.some((other) => folder.startsWith(`${other}/`))).sort();
}

/** The folders that lead to the cone folders (`libs` for `libs/auth`), outermost first. */
function leadingFolders(folders: string[]): string[] {
  const leading = new Set(folders.flatMap((folder) => folder.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  return [...leading].sort();
}

/**
 * Cone-mode patterns: top-level files; for each leading folder its own files (`/libs/`, `!/libs/*\/`);
 * each cone folder whole. Git reads them in order: a folder's line comes before its `!` line.
 */
function sparsePatterns(cone: string[]): string {
  const folders = coneFolders(cone);
  const lines = ['/*', '!/*/'];
  for (const dir of leadingFolders(folders)) lines.push(`${literalPattern(dir)}/`, `!${literalPattern(dir)}/*/`);
  for (const folder of folders) lines.push(`${literalPattern(folder)}/`);
  return `${lines.join('\n')}\n`;
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

/** Files and symlinks on disk outside the cone (top-level files and those of leading folders are in it; cone folders are not walked). */
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
      } else if (outside) {
        found.push(path);
      }
    }
  };
  walk('', false);
  return found;
}
