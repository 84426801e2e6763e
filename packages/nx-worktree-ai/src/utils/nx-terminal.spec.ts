import { spawn } from 'node:child_process';
import { liveLines } from './nx-terminal';

/**
 * A stand-in for the nx process: a real process whose standard output is a pipe (`| cat`, as in
 * CI), its pid on stderr. liveLines, given a task environment naming it, writes to that pipe.
 */
async function fakeNx(args: string[] = []): Promise<{ pid: number; output: () => Promise<string> }> {
  const script = `process.stderr.write(String(process.pid) + '\\n'); setTimeout(() => {}, 20000)`;
  const child = spawn('sh', ['-c', `exec "$0" -e "$1" -- "$@" | cat`, process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  const pid = await new Promise<number>((resolve) => child.stderr!.once('data', (d) => resolve(Number(String(d).trim()))));
  return {
    pid,
    output: async () => {
      await new Promise((r) => setTimeout(r, 100));
      process.kill(-child.pid!);
      await new Promise((r) => child.once('close', r));
      return text;
    },
  };
}

const taskOf = (pid: number): NodeJS.ProcessEnv => ({ NX_TASK_HASH: 'h', NX_INVOCATION_ANCESTOR_PIDS: String(pid) });

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('liveLines: a batch\'s start and end lines where Nx holds task output back', () => {
  it('writes each line to the nx process\'s own output when that is a pipe and the task\'s is not a terminal', async () => {
    const nx = await fakeNx();
    const live = liveLines(taskOf(nx.pid), false);
    live.line('[auth:auth-module] started · claude');
    live.line('[auth:auth-module] succeeded · 3 turns\nsecond line is not sent');
    live.close();
    expect(await nx.output()).toBe('[auth:auth-module] started · claude\n[auth:auth-module] succeeded · 3 turns\n');
  });

  it('writes nothing when Nx shows the output live: --output-style=stream, a terminal, or outside an Nx task', async () => {
    for (const [args, env, tty] of [
      [['run-many', '--output-style=stream'], null, false],
      [['run-many', '--outputStyle', 'stream-without-prefixes'], null, false],
      [[], null, true],
      [[], {}, false],
    ] as Array<[string[], NodeJS.ProcessEnv | null, boolean]>) {
      const nx = await fakeNx(args);
      const live = liveLines(env ?? taskOf(nx.pid), tty);
      live.line('a line');
      live.close();
      expect({ args, tty, out: await nx.output() }).toEqual({ args, tty, out: '' });
    }
  });
});
