import { mkdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
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
  const tryAny = async () => {
    for (let i = 0; i < limit; i++) {
      const release = await tryLock(join(dir, `${pool}-${i}`));
      if (release) return release;
    }
    return null;
  };
  return waitForLock(dir, tryAny, (attempt) => {
    if (signal?.aborted) throw new Error(`gave up waiting for a ${pool} slot`);
    if (attempt === 0) onWait?.();
    return Math.min(1000, 50 * 1.5 ** Math.min(attempt, 8));
  });
}

/**
 * Takes a lock with `attempt` until it succeeds. Between attempts it waits for a change in `dir`,
 * where the locks live (a holder releasing one removes its lock folder there), or for the poll
 * delay `pollMs(attempt)` (jittered, so waiters do not wake in lockstep), whichever comes first:
 * a waiter takes a released lock at once instead of on its next poll. The poll stays the fallback
 * where the filesystem reports no changes (and for a lock that goes stale).
 */
export async function waitForLock(dir: string, attempt: () => Promise<ReleaseSlot | null>, pollMs: (attempt: number) => number): Promise<ReleaseSlot> {
  let release = await attempt();
  if (release) return release;
  const changes = watchFolder(dir);
  try {
    // The first retry right away: a release between the failed attempt and the watch was not seen.
    for (let n = 0; !(release = await attempt()); n++) await changes.next(pollMs(n) * (0.5 + Math.random()));
    return release;
  } finally {
    changes.close();
  }
}

/** Changes in `dir`: `next(ms)` resolves at the first one since the last call, or after `ms`. */
function watchFolder(dir: string): { next: (ms: number) => Promise<void>; close: () => void } {
  let changed = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    // No change events here (some network filesystems): polling alone.
  }
  return {
    next: (ms) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, changed ? 0 : ms);
        wake = done;
      }),
    close: () => watcher?.close(),
  };
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
