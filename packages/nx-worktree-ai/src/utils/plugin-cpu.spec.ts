import { readdirSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { executorEntered, pluginCpuMs } from './plugin-cpu';
import { LOAD_START } from './load-start';
import { procStat } from './proc-stat';

const linux = process.platform === 'linux' ? describe : describe.skip;

linux("the plugin's CPU time", () => {
  it('leaves out the threads a native module named (Nx starts its TUI logger and tokio runtime in every worker)', async () => {
    const before = new Set(readdirSync('/proc/self/task'));
    // A thread that spins for 400 ms when told to, then waits for more (so it stays in /proc/self/task).
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', () => { const end = Date.now() + 400; while (Date.now() < end); parentPort.postMessage('done'); });`,
      { eval: true },
    );
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      const spun = new Promise((resolve) => worker.once('message', resolve));
      const fresh = readdirSync('/proc/self/task').filter((tid) => !before.has(tid));
      executorEntered();
      const cpuBefore = process.cpuUsage();
      worker.postMessage('go');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Named as a native module names its threads: the spinning one is the worker's.
      const spinning = fresh.map((tid) => ({ tid, ticks: procStat(process.pid, Number(tid))?.cpuTicks ?? 0 })).sort((a, b) => b.ticks - a.ticks)[0];
      writeFileSync(`/proc/self/task/${spinning.tid}/comm`, 'tokio-runtime-w');
      await spun;
      const { user, system } = process.cpuUsage(cpuBefore);
      expect((user + system) / 1000).toBeGreaterThan(350);
      expect(pluginCpuMs()).toBeLessThan(150);
    } finally {
      await worker.terminate();
    }
  });
});

describe('the load figure', () => {
  it("counts from the executor's entry when it ran first (reading and compiling the bundle), else from the module itself", () => {
    const spin = (ms: number) => {
      const end = process.cpuUsage().user / 1000 + ms;
      while (process.cpuUsage().user / 1000 < end);
    };
    const load = (withEntry: boolean) => {
      let ms = 0;
      jest.isolateModules(() => {
        if (withEntry) (globalThis as Record<symbol, unknown>)[LOAD_START] = process.cpuUsage();
        spin(60); // what the entry's require of the bundle costs before the module runs
        const cpu = require('./plugin-cpu') as typeof import('./plugin-cpu');
        cpu.executorLoaded();
        ms = cpu.pluginLoadCpuMs();
      });
      delete (globalThis as Record<symbol, unknown>)[LOAD_START];
      return ms;
    };
    expect(load(true)).toBeGreaterThanOrEqual(55);
    expect(load(false)).toBeLessThan(30);
  });
});
