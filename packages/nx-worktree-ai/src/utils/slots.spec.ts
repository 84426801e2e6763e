import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { maxOverlap, tempDirFor } from '@testing/temp';
import { acquireSlot } from './slots';

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
