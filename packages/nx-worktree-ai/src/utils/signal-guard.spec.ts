import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeDir, tempDir } from '@testing/temp';

const tsxLoader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

/** Runs `body` in a fresh Node process with `guard` = guardSignals(); returns its output and how it ended. */
function inChild(body: string): { stdout: string; status: number | null; signal: NodeJS.Signals | null } {
  const dir = tempDir('nxwa-guard-');
  try {
    const script = join(dir, 'child.ts');
    writeFileSync(
      script,
      `import { guardSignals, RunInterrupted } from ${JSON.stringify(resolve(__dirname, 'signal-guard'))};
const guard = guardSignals();
(async () => { ${body} })();
`,
    );
    const res = spawnSync(process.execPath, ['--import', tsxLoader, script], { encoding: 'utf8', timeout: 30_000 });
    return { stdout: res.stdout, status: res.status, signal: res.signal };
  } finally {
    removeDir(dir);
  }
}

describe('guardSignals', () => {
  it('holds SIGINT: the process lives on, check() throws RunInterrupted, release() returns the signal', () => {
    const res = inChild(`
      process.kill(process.pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, 200));
      console.log('still alive, received ' + guard.received);
      try { guard.check((s) => 'stopped by ' + s + ' before integration'); } catch (e) { console.log((e instanceof RunInterrupted) + ' ' + e.message); }
      console.log('released ' + guard.release());
    `);
    expect(res.stdout).toBe('still alive, received SIGINT\ntrue stopped by SIGINT before integration\nreleased SIGINT\n');
    expect(res.status).toBe(0);
  });

  it('once released, a signal ends the process as usual', () => {
    const res = inChild(`
      guard.release();
      process.kill(process.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 2000));
      console.log('not reached');
    `);
    expect(res.stdout).toBe('');
    expect(res.signal).toBe('SIGTERM');
  });
});
