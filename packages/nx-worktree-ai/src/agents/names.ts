/**
 * Names the agents folder shares with the rest of the plugin. A leaf: it imports nothing, so the
 * batch schema, the worktree layout and the adapters can all read it without importing each other.
 */

/** Agents a batch can name. `command` runs any program (see agents/command.ts). */
export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'opencode', 'copilot', 'qwen', 'cursor', 'amp', 'command'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/**
 * A folder beside the worktrees where agent adapters keep files of their own (gemini's policy and
 * settings overlays). The integrity check knows it as the plugin's, not an agent's doing.
 */
export const AGENT_FILES_DIR = '.agent-files';
