import type { AgentName } from './names';
import { ampAdapter } from './amp';
import { claudeAdapter } from './claude';
import { codexAdapter } from './codex';
import { commandAdapter } from './command';
import { copilotAdapter } from './copilot';
import { cursorAdapter } from './cursor';
import { geminiAdapter } from './gemini';
import { opencodeAdapter } from './opencode';
import { qwenAdapter } from './qwen';
import type { AgentAdapter } from './types';

const ADAPTERS: Partial<Record<AgentName, AgentAdapter>> = {
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
  command: commandAdapter,
  opencode: opencodeAdapter,
  copilot: copilotAdapter,
  qwen: qwenAdapter,
  cursor: cursorAdapter,
  amp: ampAdapter,
};

/** Agents that can run today. */
export const AVAILABLE_AGENTS = Object.keys(ADAPTERS) as AgentName[];

export function getAdapter(name: AgentName): AgentAdapter {
  const adapter = ADAPTERS[name];
  if (adapter) return adapter;
  throw new Error(
    `agent "${name}" is not supported yet: the available agents are ${AVAILABLE_AGENTS.join(', ')} ` +
      '(any other CLI can run now as `agent: command` with `command: [program, ...args]`)',
  );
}
