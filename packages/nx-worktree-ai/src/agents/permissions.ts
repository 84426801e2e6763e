import type { AgentName } from './names';

/**
 * Settings that take the agent CLI's own guard rails away. They are opt-in (nothing here turns them
 * on) and each one found prints a warning line before the agent starts: with them the agent runs
 * any command as the user, outside its worktree too, and the plugin's checks after the run
 * (guard/integrity.ts) only see part of what such a command can do. See SECURITY.md.
 *
 * Defaults stay as narrow as each CLI allows: claude `--permission-mode acceptEdits` (edits inside
 * the worktree; Bash limited to what acceptEdits allows) plus the deny list in agents/claude.ts.
 */

/** Flags (as separate argv entries or `--flag=value`) that switch a CLI's permission checks off. */
const BYPASS_FLAGS: Array<{ flag: string; value?: RegExp; says: string }> = [
  { flag: '--dangerously-skip-permissions', says: 'skips every permission check' },
  { flag: '--allow-dangerously-skip-permissions', says: 'allows skipping every permission check' },
  { flag: '--permission-mode', value: /^bypassPermissions$/, says: 'bypasses every permission check' },
  { flag: '--dangerously-bypass-approvals-and-sandbox', says: 'turns off approvals and the sandbox' },
  { flag: '--sandbox', value: /^danger-full-access$/, says: 'turns the sandbox off' },
  { flag: '-s', value: /^danger-full-access$/, says: 'turns the sandbox off' },
  { flag: '--approval-mode', value: /^yolo$/, says: 'approves every tool call' },
  { flag: '--yolo', says: 'approves every tool call' },
  { flag: '-y', says: 'approves every tool call (--yolo)' },
  { flag: '--allow-all-tools', says: 'allows every tool' },
  { flag: '--allow-all-paths', says: 'allows every path' },
  { flag: '--allow-all', says: 'allows every tool and path' },
  { flag: '--force', says: 'runs every command without asking' },
  { flag: '--allowedTools', value: /^(Bash|Bash\(\*\)|Bash\(:\*\))$/, says: 'allows every Bash command' },
  { flag: '--allowed-tools', value: /^(Bash|Bash\(\*\)|Bash\(:\*\))$/, says: 'allows every Bash command' },
];

export interface BypassInput {
  agent: AgentName;
  /** The batch's section for its agent (`claude: {...}`), {} when absent. */
  section: Record<string, unknown>;
  /** Executor option agentArgs. */
  agentArgs: string[];
}

/** One phrase per setting that takes the agent's guard rails away ("agentArgs --yolo approves every tool call"). */
export function bypassSettings({ agent, section, agentArgs }: BypassInput): string[] {
  const found: string[] = [];
  if (agent === 'command') return found; // the user's own program: it has no permission system to bypass
  if (agent === 'claude') {
    if (section.permissionMode === 'bypassPermissions') found.push('claude.permissionMode bypassPermissions bypasses every permission check');
    const allowed = Array.isArray(section.allowedTools) ? (section.allowedTools as string[]) : [];
    for (const tool of allowed) if (/^(Bash|Bash\(\*\)|Bash\(:\*\))$/.test(tool)) found.push(`claude.allowedTools ${tool} allows every Bash command`);
  }
  for (let i = 0; i < agentArgs.length; i++) {
    const arg = agentArgs[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, null];
    for (const rule of BYPASS_FLAGS) {
      if (rule.flag !== flag) continue;
      if (rule.value) {
        // Variadic flags (--allowedTools a b c) take every following value until the next option.
        const values: string[] = [];
        if (inline !== null) values.push(inline);
        else for (let k = i + 1; k < agentArgs.length && !agentArgs[k].startsWith('-'); k++) values.push(agentArgs[k]);
        const hit = values.find((v) => rule.value!.test(v));
        if (hit) found.push(`agentArgs ${flag} ${hit} ${rule.says}`);
      } else {
        found.push(`agentArgs ${arg} ${rule.says}`);
      }
    }
  }
  return found;
}

/** The warning line for one setting. */
export function bypassWarning(label: string, setting: string): string {
  return (
    `[${label}] warning: ${setting}: the agent can run any command as you, outside its worktree too; ` +
    'nx-worktree-ai checks what it can after the run but cannot undo such a command (see SECURITY.md). Use it only in a throwaway environment.'
  );
}
