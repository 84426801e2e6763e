import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { tempDirFor } from '@testing/temp';
import { withLock } from './lock';

const tsx = resolve(__dirname, '../../../../node_modules/.bin/tsx');

/** Each process takes the lock, writes "<id> in", waits, writes "<id> out". */
function worker(script: string, id: number): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [script, String(id)], { stdio: 'inherit' });
    child.on('error', fail);
    child.on('close', (code) => done(code ?? -1));
  });
}

describe('withLock across processes', () => {
  const tmp = tempDirFor('nxwa-lock-');

  it('never lets two processes hold the lock at once', async () => {
    const script = join(tmp.path, 'worker.ts');
    const log = join(tmp.path, 'log.txt');
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs';
import { withLock } from ${JSON.stringify(resolve(__dirname, 'lock'))};
const id = process.argv[2];
(async () => {
  for (let i = 0; i < 3; i++) {
    await withLock(${JSON.stringify(join(tmp.path, 'workspace.lock'))}, async () => {
      appendFileSync(${JSON.stringify(log)}, id + ' in\\n');
      await new Promise((r) => setTimeout(r, 30));
      appendFileSync(${JSON.stringify(log)}, id + ' out\\n');
    });
  }
})();
`,
    );
    const codes = await Promise.all([1, 2, 3, 4].map((id) => worker(script, id)));
    expect(codes).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(24);
    for (let i = 0; i < lines.length; i += 2) {
      const [id, what] = lines[i].split(' ');
      expect(what).toBe('in');
      expect(lines[i + 1]).toBe(`${id} out`);
    }
  }, 60_000);

  it('hands the lock to a waiter the moment it is released, not at its next poll', async () => {
    const lock = join(tmp.path, 'wake.lock');
    const order: string[] = [];
    const first = withLock(lock, async () => {
      order.push('first in');
      await delay(300);
      order.push('first out');
    });
    await delay(50);
    // Polling alone, this waiter would look again in ten minutes (the test times out long before).
    const second = withLock(lock, async () => void order.push('second in'), () => 600_000);
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  }, 20_000);
});
