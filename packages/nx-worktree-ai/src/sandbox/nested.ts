import type { AgentName } from '../batch/spec';

/**
 * Arguments an agent CLI needs for its own sandbox to work inside ours. codex's workspace-write
 * sandbox (bubblewrap again) makes /tmp writable and masks a `.git` in it, which it cannot create
 * in our read-only /tmp; its writable temp folder is TMPDIR, which ours gives it.
 */
export function nestedSandboxArgs(agent: AgentName, args: string[]): string[] {
  if (agent !== 'codex') return args;
  const exec = args.indexOf('exec');
  if (exec === -1) return args;
  return [...args.slice(0, exec + 1), '-c', 'sandbox_workspace_write.exclude_slash_tmp=true', ...args.slice(exec + 1)];
}
