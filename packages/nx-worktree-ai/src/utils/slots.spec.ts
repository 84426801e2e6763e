import { spawn } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { maxOverlap, tempDirFor } from '@testing/temp';
import { acquireSlot, lockFolderName, tryLock, waitForLock } from './slots';

const tsx = resolve(__dirname, '../../../../node_modules/.bin/tsx');

describe('acquireSlot', () => {
  const slots = tempDirFor('nxwa-slots-', { each: true });

  it('hands out at most `limit` slots; a released slot is taken by a waiter', async () => {
    const a = await acquireSlot(slots.path, 'claude', 2);
    const b = await acquireSlot(slots.path, 'claude', 2);
    let waited = false;
    let third = false;
    const pending = acquireSlot(slots.path, 'claude', 2, () => (waited = true)).then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(third).toBe(false);
    expect(waited).toBe(true);
    await a();
    const c = await pending;
    expect(third).toBe(true);
    // other pools are independent
    const other = await acquireSlot(slots.path, 'codex', 1);
    await Promise.all([b(), c(), other()]);
  });

  it('caps concurrency across processes', async () => {
    const script = join(slots.path, 'worker.ts');
    const log = join(slots.path, 'log.txt');
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs';
import { acquireSlot } from ${JSON.stringify(resolve(__dirname, 'slots'))};
(async () => {
  const release = await acquireSlot(${JSON.stringify(join(slots.path, 'slots'))}, 'claude', 2);
  appendFileSync(${JSON.stringify(log)}, '+\\n');
  await new Promise((r) => setTimeout(r, 400));
  appendFileSync(${JSON.stringify(log)}, '-\\n');
  await release();
})();
`,
    );
    const codes = await Promise.all(
      Array.from({ length: 5 }, () => new Promise<number>((done) => spawn(tsx, [script], { stdio: 'inherit' }).on('close', (code) => done(code ?? -1)))),
    );
    expect(codes).toEqual([0, 0, 0, 0, 0]);
    expect(maxOverlap(log)).toBe(2);
  }, 60_000);
});

describe('tryLock and waitForLock', () => {
  const tmp = tempDirFor('nxwa-trylock-', { each: true });

  it('answers "held" for a lock its holder keeps fresh, and takes over one gone stale', async () => {
    const file = join(tmp.path, 'workspace.lock');
    const held = await tryLock(file);
    expect(held).not.toBeNull();
    expect(await tryLock(file)).toBeNull();
    await held!();
    // A holder killed 20 s ago: its lock folder was last refreshed then.
    const stale = join(tmp.path, 'stale.lock');
    mkdirSync(join(tmp.path, lockFolderName(stale)));
    const old = new Date(Date.now() - 20_000);
    utimesSync(join(tmp.path, lockFolderName(stale)), old, old);
    const taken = await tryLock(stale);
    expect(taken).not.toBeNull();
    await taken!();
  });

  it('wakes a waiter for its lock folder only, and polls about once a second once the folder reports changes', async () => {
    const file = join(tmp.path, 'workspace.lock');
    const held = await tryLock(file);
    let attempts = 0;
    const waiting = waitForLock(
      tmp.path,
      () => {
        attempts++;
        return tryLock(file);
      },
      () => 5,
      (name) => name === lockFolderName(file),
    );
    await delay(150);
    // Nothing reported yet: it polls every ~5 ms.
    expect(attempts).toBeGreaterThan(5);
    // Other files of the folder change (the plugin's records live beside the lock): reported, no wake.
    for (let i = 0; i < 20; i++) writeFileSync(join(tmp.path, `record-${i}.json`), '{}');
    await delay(50);
    const before = attempts;
    await delay(400);
    expect(attempts - before).toBeLessThanOrEqual(1);
    // The release removes the lock folder: the waiter takes the lock at once.
    await held!();
    const release = await waiting;
    expect(await tryLock(file)).toBeNull();
    await release();
  });
});
