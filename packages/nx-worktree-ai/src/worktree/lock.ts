import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { lockFolderName, tryLock, waitForLock } from '../utils/slots';

/**
 * Serialises git work that must not interleave across Nx worker processes (worktree add/remove,
 * refs, applying to the workspace). A real inter-process lock (utils/slots.ts `tryLock`: an atomic
 * lock directory refreshed while held, so a lock left by a killed process goes stale and is taken
 * over instead of blocking every later run). Holds are short (tens to hundreds of milliseconds):
 * a waiter takes the lock as soon as it is released (utils/slots.ts `waitForLock`), polling only as
 * a fallback, every `pollMs(attempt)` (tests pass their own).
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, pollMs = (attempt: number) => Math.min(100, 10 * 1.3 ** attempt)): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  const release = await waitForLock(dirname(lockPath), () => tryLock(lockPath), pollMs, (name) => name === lockFolderName(lockPath));
  try {
    return await fn();
  } finally {
    await release();
  }
}
