import { execaModule } from '../utils/execa';
import type { AgentProcessOptions } from './process';

/**
 * Starts the agent CLI as the leader of its own process group, stdio piped. Stopping stays in
 * process.ts and process-group.ts: execa's timeout, cancelSignal and
 * forceKillAfterDelay signal the leader's pid only, and an agent's tools run in its group.
 */
export function spawnDetached(options: AgentProcessOptions) {
  return execaModule().execa(options.bin, options.args, {
    cwd: options.cwd,
    env: mergeEnv(options.env),
    extendEnv: false,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    // Read here, line by line, with a bounded line length; nothing is kept whole.
    buffer: false,
    reject: false,
    // The group is SIGKILLed at exit by process-group.ts; execa's own exit hook would add
    // SIGINT/SIGTERM listeners and hide that nobody else listens (see trackGroup).
    cleanup: false,
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
