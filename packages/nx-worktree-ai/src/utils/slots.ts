import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import * as lockfile from 'proper-lockfile';

export type ReleaseSlot = () => Promise<void>;

/**
 * A counting semaphore across processes: `limit` lock files `<dir>/<pool>-<i>`, each a
 * proper-lockfile lock (atomic mkdir, refreshed while held, taken over when its holder died).
 * Nx runs every task in its own process, so a cap on agent sessions ("at most 4 claude at once,
 * whatever --parallel says") has to live on disk.
 */
export async function acquireSlot(
  dir: string,
  pool: string,
  limit: number,
  onWait?: () => void,
  signal?: AbortSignal,
): Promise<ReleaseSlot> {
  mkdirSync(dir, { recursive: true });
  let waited = false;
  for (let attempt = 0; ; attempt++) {
    for (let i = 0; i < limit; i++) {
      const release = await tryLock(join(dir, `${pool}-${i}`));
      if (release) return release;
    }
    if (signal?.aborted) throw new Error(`gave up waiting for a ${pool} slot`);
    if (!waited) onWait?.();
    waited = true;
    // Jittered, growing poll: many waiters must not wake in lockstep.
    await delay(Math.min(1000, 50 * 1.5 ** Math.min(attempt, 8)) * (0.5 + Math.random()));
  }
}

/** Takes the lock `file` if it is free (or stale), without waiting; null when another process holds it. */
export async function tryLock(file: string): Promise<ReleaseSlot | null> {
  writeFileSync(file, '', { flag: 'a' });
  try {
    const release = await lockfile.lock(file, { stale: 10_000, update: 2_000, retries: 0, realpath: false });
    return async () => {
      await release().catch(() => undefined);
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw error;
  }
}
