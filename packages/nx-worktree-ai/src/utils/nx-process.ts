/**
 * The nx process that started this task: Nx 24 passes the pids of the nx processes a task runs
 * under (outermost first) in NX_INVOCATION_ANCESTOR_PIDS, the last being the one that forked it;
 * older Nx fork each task straight from the nx process (the parent). Outside an Nx task (the
 * executor called in-process, a script): null.
 */
export function nxProcessPid(env: NodeJS.ProcessEnv = process.env): number | null {
  if (!env.NX_TASK_HASH && !env.NX_TASK_TARGET_PROJECT) return null;
  const ancestors = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '').split(',').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  return ancestors[ancestors.length - 1] ?? process.ppid;
}
