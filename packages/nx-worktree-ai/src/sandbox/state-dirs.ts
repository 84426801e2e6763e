import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentName } from '../batch/spec';

/** Folders and files an agent CLI writes its own state to (sessions, settings, logs, login). */
export interface StatePaths {
  dirs: string[];
  /** Files outside those folders, made writable only when they exist. */
  files: string[];
}

/**
 * Where each CLI keeps its state, from the user's environment and what the invocation adds (its
 * own variables first, then the home folder's defaults). A confined agent may write there and
 * nowhere else outside its worktree.
 */
export function agentStatePaths(agent: AgentName, userEnv: NodeJS.ProcessEnv, added: Record<string, string> = {}): StatePaths {
  const env = { ...userEnv, ...added };
  const home = env.HOME || homedir();
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  const cache = env.XDG_CACHE_HOME || join(home, '.cache');
  const state = env.XDG_STATE_HOME || join(home, '.local', 'state');
  switch (agent) {
    case 'claude':
      // ~/.claude.json is claude's state file beside ~/.claude unless CLAUDE_CONFIG_DIR holds both.
      return env.CLAUDE_CONFIG_DIR ? { dirs: [env.CLAUDE_CONFIG_DIR], files: [] } : { dirs: [join(home, '.claude')], files: [join(home, '.claude.json')] };
    case 'codex':
      return { dirs: [env.CODEX_HOME || join(home, '.codex')], files: [] };
    case 'gemini': {
      // GEMINI_CLI_HOME is the plugin's overlay of the user's home when the batch has gemini settings;
      // its entries link into the user's ~/.gemini, where the sessions are written.
      // gemini's own rule for its home (agents/gemini-session.ts geminiUserHome), from the user's environment.
      const dirs = [join(userEnv.GEMINI_CLI_HOME || homedir(), '.gemini')];
      if (added.GEMINI_CLI_HOME) dirs.push(join(added.GEMINI_CLI_HOME, '.gemini'));
      return { dirs, files: [] };
    }
    case 'qwen':
      return { dirs: [join(home, '.qwen')], files: [] };
    case 'copilot':
      return { dirs: [env.COPILOT_HOME || join(home, '.copilot')], files: [] };
    case 'opencode':
      return { dirs: [join(data, 'opencode'), join(config, 'opencode'), join(cache, 'opencode'), join(state, 'opencode')], files: [] };
    case 'cursor':
      return { dirs: [join(home, '.cursor'), join(config, 'cursor')], files: [] };
    case 'amp':
      return { dirs: [join(data, 'amp'), join(config, 'amp'), join(cache, 'amp')], files: [] };
    case 'command':
      return { dirs: [], files: [] };
  }
}
