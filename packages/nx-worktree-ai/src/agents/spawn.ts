import type { ChildProcess } from 'node:child_process';
import type * as CrossSpawn from 'cross-spawn';
import type { AgentProcessOptions } from './process';

/**
 * Starts the agent CLI as the leader of its own process group, stdio piped. Stopping is
 * process.ts's and process-group.ts's: an agent's tools run in its group, and the whole group is
 * signalled. cross-spawn is node:child_process's spawn that also starts Windows' `.cmd` shims
 * (claude.cmd from npm) with their arguments quoted for cmd.exe; it loads with the first agent, so
 * a result-cache replay never loads it.
 */
export function spawnDetached(options: AgentProcessOptions): ChildProcess {
  const { spawn } = require('cross-spawn') as typeof CrossSpawn;
  return spawn(options.bin, options.args, {
    cwd: options.cwd,
    env: mergeEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
}

/** process.env with `extra` over it; `undefined` removes a variable. */
export function mergeEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** The error of a program that could not be started, naming it. */
export function startError(bin: string, error: NodeJS.ErrnoException): Error {
  const reason = error.code === 'ENOENT' ? 'not found (or its working directory does not exist)' : error.message;
  return Object.assign(new Error(`could not start ${bin}: ${reason}`), { code: error.code, cause: error });
}
