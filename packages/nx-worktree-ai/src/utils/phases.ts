/**
 * Where a batch's time went (`timings.json` beside result.json): each `mark(name)` adds the wall
 * time since the previous mark to `phases[name]` and this process's CPU time over it to
 * `cpuPhases[name]`. The benchmark reads them to tell the plugin's own overhead from the agent's
 * time, and which phase a batch's CPU went to.
 */
export function phaseClock(): { mark: (name: string) => void; phases: Record<string, number>; cpuPhases: Record<string, number> } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const phases: Record<string, number> = {};
  const cpuPhases: Record<string, number> = {};
  const add = (into: Record<string, number>, name: string, ms: number) => {
    into[name] = Math.round(((into[name] ?? 0) + ms) * 10) / 10;
  };
  const mark = (name: string) => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    add(phases, name, now - last);
    add(cpuPhases, name, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  };
  return { mark, phases, cpuPhases };
}
