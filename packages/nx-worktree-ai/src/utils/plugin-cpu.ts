import { readdirSync } from 'node:fs';
import { LOAD_START } from './load-start';
import { procStat } from './proc-stat';

/**
 * The plugin's own CPU time in an executor process (timings.json `pluginCpuMs`): loading the
 * executor's modules, then the run from the moment Nx calls it. Nx's own work in the same worker
 * falls outside: its start and reading the project graph (before the executor loads), and the
 * threads of its native module, which run beside every task whatever the executor does (on
 * Linux, its TUI logger thread alone takes ~3 ms of CPU per second while the agent runs). So the
 * figure grows neither with the workspace's graph nor with how long a batch waits. The load counts
 * from the executor's entry (executors/generate/entry.ts), before the bundle is read and compiled;
 * without the entry (tests), from here: the executor module imports this first.
 */
const start = ((globalThis as Record<symbol, unknown>)[LOAD_START] as NodeJS.CpuUsage | undefined) ?? process.cpuUsage();
let loadMicros = 0;
let entry = 0;

const micros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** This process's CPU time (µs) without its native threads (nativeThreadsMicros). */
export function ownCpuMicros(): number {
  return micros(process.cpuUsage()) - nativeThreadsMicros();
}

/** At the end of the executor module: everything it imports is loaded. */
export function executorLoaded(): void {
  loadMicros = micros(process.cpuUsage(start));
}

/** When Nx calls the executor. */
export function executorEntered(): void {
  entry = ownCpuMicros();
}

/** The executor module's load alone: the same code every batch, so what it costs shows the machine's contention. */
export function pluginLoadCpuMs(): number {
  return Math.round(loadMicros / 1000);
}

export function pluginCpuMs(): number {
  return Math.round((loadMicros + ownCpuMicros() - entry) / 1000);
}

/**
 * CPU time (µs) of the threads a native module started and named (Nx's: its TUI logger, a tokio
 * runtime); Node's own threads (V8's, libuv's) carry the process's name. 0 where there is no /proc.
 */
function nativeThreadsMicros(): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  const own = procStat(process.pid)?.comm;
  let ticks = 0;
  for (const tid of tids) {
    const thread = Number(tid) === process.pid ? null : procStat(process.pid, Number(tid));
    if (thread && thread.comm !== own && thread.comm !== 'node') ticks += thread.cpuTicks;
  }
  // Clock ticks are 1/100 s on Linux.
  return ticks * 10_000;
}
