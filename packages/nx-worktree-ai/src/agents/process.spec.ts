import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, removeDir } from '@testing/temp';
import { runAgentProcess, type AgentProcessOptions } from './process';

const node = process.execPath;

function run(script: string, overrides: Partial<AgentProcessOptions> = {}) {
  const lines: string[] = [];
  const transcript: string[] = [];
  const promise = runAgentProcess({
    bin: node,
    args: ['-e', script],
    env: {},
    stdin: null,
    cwd: process.cwd(),
    timeoutMs: 20_000,
    killGraceMs: 300,
    onLine: (line) => lines.push(line),
    transcript: (line) => transcript.push(line),
    ...overrides,
  });
  return { promise, lines, transcript };
}

/** Dead = gone, or a zombie (a container's PID 1 may never reap orphans). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return process.platform === 'linux';
  }
}

/** A child that starts a grandchild (both ignore SIGTERM when asked), prints both pids, then idles. */
const spawnGrandchild = (opts: { ignoreTerm?: boolean; exitAfterSpawn?: boolean } = {}) => `
  ${opts.ignoreTerm ? "process.on('SIGTERM', () => {});" : ''}
  const { spawn } = require('node:child_process');
  const grandchild = spawn(process.execPath, ['-e', ${JSON.stringify(
    `${opts.ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000);`,
  )}], { stdio: ${opts.exitAfterSpawn ? "'inherit'" : "'ignore'"} });
  console.log('pids ' + process.pid + ' ' + grandchild.pid);
  ${opts.exitAfterSpawn ? 'grandchild.unref(); setTimeout(() => process.exit(0), 100);' : 'setInterval(() => {}, 1000);'}
`;

/** Aborts as soon as the child has printed its pids: no race with a slow machine. */
function abortWhenStarted(): { signal: AbortSignal; onLine: (line: string) => void; lines: string[]; abortedAt: () => number } {
  const controller = new AbortController();
  const lines: string[] = [];
  let at = 0;
  return {
    signal: controller.signal,
    lines,
    abortedAt: () => at,
    onLine: (line) => {
      lines.push(line);
      if (line.startsWith('pids ')) {
        at = Date.now();
        controller.abort();
      }
    },
  };
}

function pidsFrom(lines: string[]): number[] {
  const line = lines.find((l) => l.startsWith('pids '));
  if (!line) throw new Error(`no pids line in ${JSON.stringify(lines)}`);
  return line.split(' ').slice(1).map(Number);
}

describe('runAgentProcess', () => {
  it('delivers stdin and closes it', async () => {
    const script = "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(JSON.stringify(s)));";
    const { promise, lines } = run(script, { stdin: '-starts with a dash\nsecond line €' });
    const result = await promise;
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, aborted: false });
    expect(lines).toEqual([JSON.stringify('-starts with a dash\nsecond line €')]);
  });

  it('closes stdin at once when there is no input', async () => {
    const script = "let n = 0; process.stdin.on('data', (d) => (n += d.length)).on('end', () => console.log('eof ' + n));";
    const { promise, lines } = run(script, { stdin: null });
    await promise;
    expect(lines).toEqual(['eof 0']);
  });

  it('splits lines across chunks, strips CRLF and keeps a last line without newline', async () => {
    const script = `
      const euro = Buffer.from('€');
      const parts = [Buffer.from('a'), Buffer.from('b\\r\\nc'), euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('\\n\\nd')])];
      let i = 0;
      const next = () => { if (i < parts.length) process.stdout.write(parts[i++], () => setTimeout(next, 30)); };
      next();`;
    const { promise, lines, transcript } = run(script);
    await promise;
    expect(lines).toEqual(['ab', 'c€', '', 'd']);
    expect(transcript).toEqual(lines);
  });

  it('keeps a huge line whole', async () => {
    const script = "process.stdout.write(JSON.stringify({ text: 'x'.repeat(3_000_000) }) + '\\nnext\\n');";
    const { promise, lines } = run(script);
    await promise;
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]).text).toHaveLength(3_000_000);
    expect(lines[1]).toBe('next');
  });

  it('keeps the last 8 KB of stderr and passes env (undefined removes a variable)', async () => {
    const script = "process.stderr.write('x'.repeat(20000) + 'END'); console.log(process.env.AGENT_TEST_FOO + ' ' + process.env.AGENT_TEST_GONE);";
    process.env.AGENT_TEST_GONE = 'present';
    try {
      const { promise, lines } = run(script, { env: { AGENT_TEST_FOO: 'bar', AGENT_TEST_GONE: undefined } });
      const result = await promise;
      expect(lines).toEqual(['bar undefined']);
      expect(result.stderrTail).toHaveLength(8192);
      expect(result.stderrTail.endsWith('xEND')).toBe(true);
    } finally {
      delete process.env.AGENT_TEST_GONE;
    }
  });

  it('redacts stdout and stderr line by line before anything is kept or cut (the 8 KB tail starts inside the secret)', async () => {
    const secret = `tok_${'s3cr3t'.repeat(10)}`;
    const redact = (text: string) => text.split(secret).join('[redacted]');
    // The secret, then 8170 characters: the raw tail would begin in the middle of it.
    const script = `const s = ${JSON.stringify(secret)}; console.log('say ' + s); process.stderr.write('a\\n' + s + 'y'.repeat(8170) + '\\nlast ' + s);`;
    const { promise, lines, transcript } = run(script, { redact });
    const result = await promise;
    expect(lines).toEqual(['say [redacted]']);
    expect(transcript).toEqual(['say [redacted]']);
    expect(result.stderrTail.endsWith('\nlast [redacted]\n')).toBe(true);
    expect(result.stderrTail).not.toContain('s3cr3t');
  });

  it('reports the exit code', async () => {
    const { promise } = run('process.exit(3)');
    expect(await promise).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
  });

  it('kills the whole process group on timeout', async () => {
    const { promise, lines } = run(spawnGrandchild(), { timeoutMs: 1500 });
    const result = await promise;
    expect(result).toMatchObject({ timedOut: true, aborted: false, signal: 'SIGTERM', timeoutMs: 1500 });
    const [child, grandchild] = pidsFrom(lines);
    expect(isDead(child)).toBe(true);
    expect(isDead(grandchild)).toBe(true);
  });

  it('SIGKILLs a group that ignores SIGTERM after the grace', async () => {
    const abort = abortWhenStarted();
    const { promise } = run(spawnGrandchild({ ignoreTerm: true }), { signal: abort.signal, onLine: abort.onLine, killGraceMs: 300 });
    const result = await promise;
    expect(result).toMatchObject({ aborted: true, signal: 'SIGKILL' });
    expect(Date.now() - abort.abortedAt()).toBeLessThan(5000);
    for (const pid of pidsFrom(abort.lines)) expect(isDead(pid)).toBe(true);
  });

  it('stops a background grandchild left by a normal exit, even one holding stdout open', async () => {
    const { promise, lines } = run(spawnGrandchild({ exitAfterSpawn: true }));
    const result = await promise;
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, aborted: false });
    const [, grandchild] = pidsFrom(lines);
    expect(isDead(grandchild)).toBe(true);
  });

  it('stops the group when the AbortSignal fires', async () => {
    const abort = abortWhenStarted();
    const { promise } = run(spawnGrandchild(), { signal: abort.signal, onLine: abort.onLine, timeoutMs: null });
    const result = await promise;
    expect(result).toMatchObject({ aborted: true, timedOut: false, signal: 'SIGTERM' });
    for (const pid of pidsFrom(abort.lines)) expect(isDead(pid)).toBe(true);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { promise, lines } = run("console.log('ran')", { signal: controller.signal });
    expect(await promise).toMatchObject({ aborted: true, exitCode: null });
    expect(lines).toEqual([]);
  });

  it('rejects with a clear error when the program does not exist', async () => {
    const { promise } = run('', { bin: '/nonexistent/agent-cli' });
    await expect(promise).rejects.toThrow('could not start /nonexistent/agent-cli: not found');
  });

  it('rejects with the error of a throwing line callback and stops the process', async () => {
    const { promise } = run("console.log('boom'); setInterval(() => {}, 1000);", {
      onLine: () => {
        throw new Error('callback failed');
      },
    });
    await expect(promise).rejects.toThrow('callback failed');
  });

  it('removes its process listeners afterwards', async () => {
    const before = ['SIGINT', 'SIGTERM', 'exit'].map((s) => process.listenerCount(s));
    const { promise } = run("console.log('x')");
    await promise;
    expect(['SIGINT', 'SIGTERM', 'exit'].map((s) => process.listenerCount(s))).toEqual(before);
  });

  describe('when this process receives SIGTERM', () => {
    let dir: string;
    beforeAll(() => (dir = tempDir('nxwa-agents-')));
    afterAll(() => removeDir(dir));

    it('kills the group, then dies of the signal as it would have without listening', async () => {
      const host = join(dir, 'host.js');
      writeFileSync(
        host,
        `const { runAgentProcess } = require(${JSON.stringify(join(__dirname, 'process.ts'))});
         runAgentProcess({ bin: process.execPath, args: ['-e', ${JSON.stringify(spawnGrandchild())}], env: {}, stdin: null,
           cwd: process.cwd(), timeoutMs: null, killGraceMs: 300, onLine: (line) => console.log(line) })
           .then((r) => console.log('resolved ' + JSON.stringify(r)));`,
      );
      const hostProcess = spawn(node, ['--require', require.resolve('tsx/cjs'), host], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      const pids = await new Promise<number[]>((resolve) =>
        hostProcess.stdout.on('data', (chunk) => {
          output += chunk;
          if (/pids \d+ \d+\n/.test(output)) resolve(pidsFrom(output.split('\n')));
        }),
      );
      hostProcess.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
        hostProcess.on('exit', (c, s) => resolve([c, s])),
      );
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
      for (const pid of pids) expect(isDead(pid)).toBe(true);
    });
  });
});
