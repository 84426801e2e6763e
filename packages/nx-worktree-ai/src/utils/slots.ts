import { mkdirSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
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
  return waitForLock(
    dir,
    tryAny,
    (attempt) => {
      if (signal?.aborted) throw new Error(`gave up waiting for a ${pool} slot`);
      if (attempt === 0) onWait?.();
      return Math.min(1000, 50 * 1.5 ** Math.min(attempt, 8));
    },
    (name) => name.startsWith(`${pool}-`) && name.endsWith(LOCK_FOLDER_SUFFIX),
  );
}

/**
 * Takes a lock with `attempt` until it succeeds. Between attempts it waits for a change in `dir`
 * to a lock folder (`isLockFolder`: a holder releasing a lock removes its folder there; the other
 * files of the folder change too often to wake every waiter for each), or for the poll
 * delay `pollMs(attempt)` (jittered, so waiters do not wake in lockstep), whichever comes first:
 * a waiter takes a released lock at once instead of on its next poll. The poll is the fallback
 * where the filesystem reports no changes; once the folder has reported one, it does, and the
 * poll only looks for a lock gone stale, about every RELIABLE_WATCH_POLL_MS (a poll is an
 * attempt, and six or more waiters polling every 100 ms cost each of them more CPU than the work
 * they wait for).
 */
export async function waitForLock(
  dir: string,
  attempt: () => Promise<ReleaseSlot | null>,
  pollMs: (attempt: number) => number,
  isLockFolder: (name: string) => boolean,
): Promise<ReleaseSlot> {
  let release = await attempt();
  if (release) return release;
  const changes = watchFolder(dir, isLockFolder);
  try {
    // The first retry right away: a release between the failed attempt and the watch was not seen.
    for (let n = 0; !(release = await attempt()); n++) {
      const poll = changes.reporting() ? Math.max(pollMs(n), RELIABLE_WATCH_POLL_MS) : pollMs(n);
      await changes.next(poll * (0.5 + Math.random()));
    }
    return release;
  } finally {
    changes.close();
  }
}

const RELIABLE_WATCH_POLL_MS = 1_000;

/**
 * Changes in `dir` to the entries `relevant` accepts (all when the platform names none): `next(ms)`
 * resolves at the first one since the last call, or after `ms`; `reporting()` says whether the
 * folder reported any change yet.
 */
function watchFolder(dir: string, relevant: (name: string) => boolean): { next: (ms: number) => Promise<void>; reporting: () => boolean; close: () => void } {
  let changed = false;
  let reported = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      reported = true;
      if (name && !relevant(String(name))) return;
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
    reporting: () => reported,
    close: () => watcher?.close(),
  };
}

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
/** proper-lockfile's lock of `<file>` is the folder `<file>.lock`. */
const LOCK_FOLDER_SUFFIX = '.lock';

/** The name of the folder that holds the lock of `file`, in the same folder. */
export function lockFolderName(file: string): string {
  return `${basename(file)}${LOCK_FOLDER_SUFFIX}`;
}

/** Takes the lock `file` if it is free (or stale), without waiting; null when another process holds it. */
export async function tryLock(file: string): Promise<ReleaseSlot | null> {
  // Most attempts of a waiter find the lock held (every waiter tries again at each change in the
  // folder, and polls besides): a lock folder its holder refreshed lately says so with one stat,
  // instead of proper-lockfile's round of calls (1.6-2.2 ms of CPU the first time in a process,
  // 0.1-0.25 ms after). A free or stale lock, and the taking itself, are left to proper-lockfile.
  if (heldFresh(`${file}${LOCK_FOLDER_SUFFIX}`)) return null;
  writeFileSync(file, '', { flag: 'a' });
  try {
    const release = await lockfile.lock(file, { stale: STALE_MS, update: UPDATE_MS, retries: 0, realpath: false });
    return async () => {
      await release().catch(() => undefined);
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw error;
  }
}

/** proper-lockfile's lock folder exists and was refreshed well within the time it goes stale. */
function heldFresh(lockDir: string): boolean {
  const stat = statSync(lockDir, { throwIfNoEntry: false });
  return !!stat && Date.now() - stat.mtimeMs < STALE_MS / 2;
}
