import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as lockfile from 'proper-lockfile';

/**
 * Serialises git work that must not interleave across Nx worker processes (worktree add/remove,
 * refs, applying to the workspace). A real inter-process lock: proper-lockfile creates a lock
 * directory atomically and refreshes its mtime while held, so a lock left by a killed process
 * goes stale and is taken over instead of blocking every later run.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  writeFileSync(lockPath, '', { flag: 'a' });
  const release = await lockfile.lock(lockPath, {
    stale: 10_000,
    update: 2_000,
    retries: { retries: 100_000, factor: 1.2, minTimeout: 20, maxTimeout: 250, randomize: true },
    realpath: false,
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
