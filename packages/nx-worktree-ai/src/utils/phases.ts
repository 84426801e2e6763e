import { ownCpuMicros } from './plugin-cpu';

/**
 * Where a batch's time went (`timings.json` beside result.json): each `mark(name)` adds the wall
 * time since the previous mark to `phases[name]` and this process's CPU time over it (without the
 * threads of Nx's native module, utils/plugin-cpu.ts) to `cpuPhases[name]`. The benchmark reads them to tell the plugin's own overhead from the agent's
 * time, and which phase a batch's CPU went to.
 */
export function phaseClock(): { mark: (name: string) => void; phases: Record<string, number>; cpuPhases: Record<string, number> } {
  let last = performance.now();
  let lastCpu = ownCpuMicros();
  const phases: Record<string, number> = {};
  const cpuPhases: Record<string, number> = {};
  const add = (into: Record<string, number>, name: string, ms: number) => {
    into[name] = Math.round(((into[name] ?? 0) + ms) * 10) / 10;
  };
  const mark = (name: string) => {
    const now = performance.now();
    const cpu = ownCpuMicros();
    add(phases, name, now - last);
    add(cpuPhases, name, (cpu - lastCpu) / 1000);
    last = now;
    lastCpu = cpu;
  };
  return { mark, phases, cpuPhases };
}
