import { procStat } from './proc-stat';

/**
 * The nx process that started this task: Nx 24 passes the pids of the nx processes a task runs
 * under (outermost first) in NX_INVOCATION_ANCESTOR_PIDS, the last being the one that started it;
 * older Nx start each task straight from the nx process (the parent), an executor as a forked
 * worker, a run-commands command (the aggregate's `nx-worktree-ai apply`) through a shell, whose
 * parent is then the nx process. Outside an Nx task (the executor called in-process, a script):
 * null.
 */
export function nxProcessPid(env: NodeJS.ProcessEnv = process.env): number | null {
  if (!env.NX_TASK_HASH && !env.NX_TASK_TARGET_PROJECT) return null;
  const ancestors = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '').split(',').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  return ancestors[ancestors.length - 1] ?? aboveShell(process.ppid);
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh']);

/** `pid`, or its parent when `pid` is a shell (Linux, from /proc; elsewhere `pid`). */
export function aboveShell(pid: number): number {
  const stat = procStat(pid);
  return stat && SHELLS.has(stat.comm) && stat.ppid > 1 ? stat.ppid : pid;
}
