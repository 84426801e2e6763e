import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkspaceFiles } from './project-root';

export const PLUGIN_PACKAGE = 'nx-worktree-ai';

const LOCK_FILES: Record<string, string[]> = {
  npm: ['package-lock.json'],
  yarn: ['yarn.lock'],
  pnpm: ['pnpm-lock.yaml'],
  bun: ['bun.lock', 'bun.lockb'],
};

/** The lock file of the package manager, if the workspace has one. */
function lockFile(files: WorkspaceFiles, packageManager: string): string | undefined {
  return (LOCK_FILES[packageManager] ?? []).find((f) => files.exists(f));
}

/** What decides externalPackages, for the inference key: the root package.json and the lock file's size and time. */
export function externalPackagesKey(root: string, files: WorkspaceFiles, packageManager: string): string {
  const lock = lockFile(files, packageManager);
  let stamp = 'none';
  if (lock) {
    const stat = statSync(join(root, lock));
    stamp = `${lock} ${stat.size} ${stat.mtimeMs}`;
  }
  return `${files.read('package.json') ?? ''}\0${stamp}`;
}

/**
 * Which of `names` Nx can use as `externalDependencies` inputs: Nx knows a package only from the
 * lock file (and fails every task whose inputs name one it does not know), so a package counts when
 * the root package.json declares it and the lock file mentions it. An agent CLI installed globally,
 * or a workspace without a lock file, simply gets no such input.
 */
export function externalPackages(root: string, files: WorkspaceFiles, packageManager: string, names: string[]): Set<string> {
  const found = new Set<string>();
  const lock = lockFile(files, packageManager);
  if (!lock) return found;
  let declared: Record<string, unknown> = {};
  try {
    const pkg = JSON.parse(files.read('package.json') ?? '{}') as Record<string, Record<string, unknown> | undefined>;
    declared = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
  } catch {
    return found;
  }
  const text = files.read(lock) ?? '';
  for (const name of names) if (name in declared && text.includes(lockEntry(packageManager, name))) found.add(name);
  return found;
}

/** How the lock file names an installed package (not merely one that another package depends on). */
function lockEntry(packageManager: string, name: string): string {
  if (packageManager === 'npm') return `"node_modules/${name}"`;
  if (packageManager === 'bun') return `"${name}"`;
  return `${name}@`; // yarn ("name@range":) and pnpm (name@version:)
}
