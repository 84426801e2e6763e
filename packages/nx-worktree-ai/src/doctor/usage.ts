import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentName } from '../agents/names';
import { analyzeBatches } from '../plugin/batches';
import { EXECUTOR } from '../plugin/paths';
import { git, splitNul } from '../worktree/git';

/** What the workspace asks of the machine: the agents its batches use and where `sandbox: required` comes from. */
export interface WorkspaceUsage {
  /** Agent -> the batches (project:batch) that use it. */
  agents: Map<AgentName, string[]>;
  /** Batches (or "targetDefaults") that require the OS sandbox. */
  sandboxRequired: string[];
  /** The executor option agentBin of targetDefaults, when set. */
  agentBin: string | null;
  /** `command` batches: their programs. */
  commands: Map<string, string[]>;
  batchCount: number;
}

/** Reads the batch files git knows (tracked or untracked, not ignored) and nx.json targetDefaults of the executor. */
export async function workspaceUsage(root: string): Promise<WorkspaceUsage> {
  const files = splitNul(await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.ai.md'])).filter((f) => !f.startsWith('node_modules/'));
  const { batches } = analyzeBatches([...new Set(files)], root);
  const defaults = targetDefaults(root);
  const usage: WorkspaceUsage = { agents: new Map(), sandboxRequired: [], agentBin: typeof defaults.agentBin === 'string' ? defaults.agentBin : null, commands: new Map(), batchCount: 0 };
  const add = <K>(map: Map<K, string[]>, key: K, label: string) => map.set(key, [...(map.get(key) ?? []), label]);
  for (const batch of batches) {
    if (!batch.spec) continue;
    usage.batchCount++;
    const label = `${batch.project}:${batch.name}`;
    const fm = batch.spec.frontmatter;
    // An executor option in targetDefaults overrides the batch file's agent and sandbox.
    const agent = (defaults.agent as AgentName | undefined) ?? fm.agent;
    add(usage.agents, agent, label);
    if (agent === 'command' && fm.command) add(usage.commands, fm.command[0], label);
    if ((defaults.sandbox ?? fm.sandbox) === 'required') usage.sandboxRequired.push(label);
  }
  return usage;
}

function targetDefaults(root: string): Record<string, unknown> {
  try {
    const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8'));
    return nxJson.targetDefaults?.[EXECUTOR]?.options ?? {};
  } catch {
    return {};
  }
}
