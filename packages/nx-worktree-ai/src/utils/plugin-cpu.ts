/**
 * The plugin's own CPU time in an executor process (timings.json `pluginCpuMs`): loading the
 * executor's modules, then the run from the moment Nx calls it. Nx's own work in the same worker
 * (its start, reading the project graph) falls outside both, so the figure does not grow with the
 * size of the workspace's graph. The executor module imports this first.
 */
const start = process.cpuUsage();
let loadMicros = 0;
let entry = start;

const micros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** At the end of the executor module: everything it imports is loaded. */
export function executorLoaded(): void {
  loadMicros = micros(process.cpuUsage(start));
}

/** When Nx calls the executor. */
export function executorEntered(): void {
  entry = process.cpuUsage();
}

/** The executor module's load alone: the same code every batch, so what it costs shows the machine's contention. */
export function pluginLoadCpuMs(): number {
  return Math.round(loadMicros / 1000);
}

export function pluginCpuMs(): number {
  return Math.round((loadMicros + micros(process.cpuUsage(entry))) / 1000);
}
