import { spawn, type ChildProcess } from 'node:child_process';
import { aboveShell, nxProcessPid } from './nx-process';

const linux = process.platform === 'linux' ? describe : describe.skip;

describe('nxProcessPid: the nx process of a task', () => {
  it('is the last of the nx processes Nx 24 names, and none outside a task', () => {
    expect(nxProcessPid({ NX_TASK_HASH: 'h', NX_INVOCATION_ANCESTOR_PIDS: '4100,4242' })).toBe(4242);
    expect(nxProcessPid({ NX_INVOCATION_ANCESTOR_PIDS: '4242' })).toBeNull();
  });
});

linux('aboveShell: older Nx run a run-commands command through a shell', () => {
  const children: ChildProcess[] = [];
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('goes up from a shell to the process that started it, and stays at any other process', async () => {
    // Two commands, so the shell cannot exec the last one and stays the parent.
    const shell = start('sh', ['-c', 'sleep 30; true']);
    const sleeper = start('sleep', ['30']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(aboveShell(shell)).toBe(process.pid);
    expect(aboveShell(sleeper)).toBe(sleeper);
    expect(aboveShell(2 ** 22 + 1)).toBe(2 ** 22 + 1);
  });
});
