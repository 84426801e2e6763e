import type { Tree } from '@nx/devkit';
import { parseDocument } from 'yaml';
import { CLAUDE_AGENT_NAME, claudeAgentFile } from '../../agents/options';
import type { PlannedBatch } from './plan';

/**
 * CAST runs each agent as `claude --agent <subagent_type>`, so the agent's own definition (tools,
 * model, instructions) applies. The same here when the workspace has `.claude/agents/<type>.md`
 * (the worktree is a snapshot of the workspace, so claude finds it there) and the batch's agent is
 * claude: its batch file gets `claude: { agent: <type> }`. One line per subagent type says which.
 * Returns the map batch name -> agent for the batches that use one, and the lines (info, warn).
 */
export function agentDefinitions(tree: Tree, batches: PlannedBatch[], defaultAgent: string | undefined): { use: Map<string, string>; info: string[]; warn: string[] } {
  const use = new Map<string, string>();
  const info: string[] = [];
  const warn: string[] = [];
  const byType = new Map<string, PlannedBatch[]>();
  for (const b of batches) if (b.subagentType) byType.set(b.subagentType, [...(byType.get(b.subagentType) ?? []), b]);

  for (const [type, typed] of byType) {
    const file = claudeAgentFile(type);
    const count = `${typed.length} batch(es)`;
    const claude = typed.filter((b) => (b.agent ?? defaultAgent ?? 'claude') === 'claude');
    if (claude.length < typed.length) warn.push(`subagent_type "${type}": not used by ${typed.length - claude.length} batch(es) whose agent is not claude (only claude has --agent)`);
    if (!claude.length) continue;
    if (type === 'main') {
      info.push(`subagent_type "main" (${count}): CAST's orchestrator does this work itself; here it is a plain claude session`);
      continue;
    }
    if (!CLAUDE_AGENT_NAME.test(type)) {
      warn.push(`subagent_type "${type}" (${count}): not a name claude's --agent takes (letters, digits, ".", "_", "-"): they run as plain claude sessions`);
      continue;
    }
    if (!tree.exists(file)) {
      warn.push(`subagent_type "${type}" (${count}): agent definition ${file} not found in the workspace: they run as plain claude sessions (add it and run the generator again to use it)`);
      continue;
    }
    const name = definedName(tree.read(file, 'utf-8') ?? '');
    if (name !== null && name !== type) {
      warn.push(`subagent_type "${type}" (${count}): ${file} defines the agent "${name}", not "${type}" (claude finds agents by that name): they run as plain claude sessions`);
      continue;
    }
    for (const b of claude) use.set(b.name, type);
    info.push(`subagent_type "${type}" (${count}): agent definition ${file} found: claude runs with --agent ${type}`);
  }
  return { use, info, warn };
}

/** The `name` of an agent definition's frontmatter, or null when it has none. */
function definedName(text: string): string | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!m) return null;
  try {
    const name: unknown = (parseDocument(m[1]).toJSON() as Record<string, unknown> | null)?.name;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}
