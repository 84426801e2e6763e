import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tryLock } from '../utils/slots';

/**
 * Serialises git work that must not interleave across Nx worker processes (worktree add/remove,
 * refs, applying to the workspace). A real inter-process lock (utils/slots.ts `tryLock`: an atomic
 * lock directory refreshed while held, so a lock left by a killed process goes stale and is taken
 * over instead of blocking every later run). Holds are short (tens to hundreds of milliseconds), so
 * waiters poll often, with jitter so that six batches started together do not wake in lockstep.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  let release = await tryLock(lockPath);
  for (let attempt = 0; !release; attempt++) {
    await delay(Math.min(100, 10 * 1.3 ** attempt) * (0.5 + Math.random()));
    release = await tryLock(lockPath);
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
