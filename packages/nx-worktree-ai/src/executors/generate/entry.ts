// The batch executor's entry (executors.json names it). Nx requires this file; it notes the CPU time
// before the bundle is read and compiled, so that the plugin's load figure (timings.json
// `pluginLoadCpuMs`, utils/plugin-cpu.ts) holds that too, then loads the bundle (scripts/bundle.mjs).
import { LOAD_START } from '../../utils/load-start';

(globalThis as Record<symbol, unknown>)[LOAD_START] = process.cpuUsage();
module.exports = require('./executor.bundle.js');
