import type { AgentName } from './names';

/**
 * The agent CLI versions this plugin is tested with: `run` ones for real in the test suite (the
 * repository's devDependencies pin them; a spec keeps the two equal), `argv` ones on their command
 * line and transcripts only. `nx-worktree-ai doctor` compares what is installed with these, and the
 * README's agents table names them.
 */
export const TESTED_CLIS: Partial<Record<AgentName, { version: string; how: 'run' | 'argv' }>> = {
  claude: { version: '2.1.330', how: 'run' },
  codex: { version: '0.169.0', how: 'run' },
  gemini: { version: '0.61.0', how: 'run' },
  opencode: { version: '1.18.33', how: 'argv' },
  copilot: { version: '1.0.102', how: 'argv' },
  qwen: { version: '0.24.4', how: 'argv' },
};
