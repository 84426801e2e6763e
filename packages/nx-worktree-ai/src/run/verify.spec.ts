import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '../utils/redact';
import { runVerify, VERIFY_TAIL_CHARS } from './verify';

describe('runVerify: the check of a batch, run for real', () => {
  let dir: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nxwa-verify-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the exit code and the tail of stdout then stderr, with credentials redacted', async () => {
    writeFileSync(join(dir, 'check.js'), "console.log('x'.repeat(100)); for (let i = 0; i < 600; i++) console.log(`line ${i}`); console.error('token sekrit-value-123'); process.exitCode = 3;\n");
    const redact = createRedactor({ MY_TOKEN: 'sekrit-value-123' });
    const run = await runVerify({ argv: [process.execPath, 'check.js'], timeoutMs: 10_000, attempts: 1 }, dir, redact, log);
    expect(run.exitCode).toBe(3);
    expect(run.outputTail.length).toBeLessThanOrEqual(VERIFY_TAIL_CHARS);
    expect(run.outputTail).toMatch(/^line \d+\n/);
    expect(run.outputTail.endsWith('line 599\ntoken [redacted:MY_TOKEN]')).toBe(true);
    expect(run.outputTail).not.toContain('sekrit');
  });

  it('stops a check at its timeout and says so; a missing program is a failed check, not a crash', async () => {
    const slow = await runVerify({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 300, attempts: 1 }, dir, createRedactor({}), log);
    expect(slow.exitCode).toBeNull();
    expect(slow.outputTail).toContain('verify timed out after 300ms; verifyTimeout sets the limit');
    const missing = await runVerify({ argv: ['no-such-check-program'], timeoutMs: 10_000, attempts: 1 }, dir, createRedactor({}), log);
    expect(missing.exitCode).toBeNull();
    expect(missing.outputTail).toContain('no-such-check-program');
  });
});
