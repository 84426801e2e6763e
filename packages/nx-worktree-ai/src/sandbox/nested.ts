import type { AgentName } from '../batch/spec';

/**
 * Arguments an agent CLI needs for its own sandbox to work inside ours. codex's workspace-write
 * sandbox (bubblewrap again) makes /tmp writable and masks a `.git` in it, which it cannot create
 * in our read-only /tmp; its writable temp folder is TMPDIR, which ours gives it. Added right after
 * `-s workspace-write`, the only mode that needs it.
 */
export function nestedSandboxArgs(agent: AgentName, args: string[]): string[] {
  if (agent !== 'codex') return args;
  const mode = args.findIndex((arg, i) => (arg === '-s' || arg === '--sandbox') && args[i + 1] === 'workspace-write');
  if (mode === -1) return args;
  return [...args.slice(0, mode + 2), '-c', 'sandbox_workspace_write.exclude_slash_tmp=true', ...args.slice(mode + 2)];
}
