import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ampPreflight } from '../agents/amp';
import type { AgentName } from '../agents/names';

/** Where an agent CLI finds its credentials: variables, files its login writes, and how to get one. */
interface CredentialSources {
  env: string[];
  /** Files a login leaves (checked for existence only, never read or printed). */
  files: (env: NodeJS.ProcessEnv) => string[];
  fix: string;
  /** A login the doctor cannot see (the macOS Keychain, a CLI's own store): a miss is only a warning. */
  hidden?: string;
}

const home = (env: NodeJS.ProcessEnv) => env.HOME || homedir();
const dataHome = (env: NodeJS.ProcessEnv) => env.XDG_DATA_HOME || join(home(env), '.local', 'share');

const SOURCES: Partial<Record<AgentName, CredentialSources>> = {
  claude: {
    env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'],
    files: (env) => [join(env.CLAUDE_CONFIG_DIR || join(home(env), '.claude'), '.credentials.json')],
    fix: 'set ANTHROPIC_API_KEY, or run `claude /login`',
    hidden: process.platform === 'darwin' ? 'claude keeps its login in the macOS Keychain, which is not checked' : undefined,
  },
  codex: {
    env: ['CODEX_API_KEY'],
    files: (env) => [join(env.CODEX_HOME || join(home(env), '.codex'), 'auth.json')],
    fix: 'set CODEX_API_KEY, or run `codex login` (a custom model provider reads the variable its env_key names)',
  },
  gemini: {
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI'],
    files: (env) => [join(home(env), '.gemini', 'oauth_creds.json')],
    fix: 'set GEMINI_API_KEY, or run `gemini` once and log in with Google',
  },
  opencode: {
    env: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY'],
    files: (env) => [join(dataHome(env), 'opencode', 'auth.json')],
    fix: 'run `opencode auth login`, or set the key of your model provider (e.g. ANTHROPIC_API_KEY)',
  },
  copilot: {
    env: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'],
    files: () => [],
    fix: 'set COPILOT_GITHUB_TOKEN (a token with the Copilot Requests permission), or run `copilot` and /login',
    hidden: 'a login made in `copilot` itself is not checked',
  },
  qwen: {
    env: ['OPENAI_API_KEY'],
    files: (env) => [join(home(env), '.qwen', 'oauth_creds.json'), join(home(env), '.qwen', 'settings.json')],
    fix: 'set OPENAI_API_KEY (with OPENAI_BASE_URL and OPENAI_MODEL), or choose an auth type in ~/.qwen/settings.json',
  },
  cursor: {
    env: ['CURSOR_API_KEY'],
    files: () => [],
    fix: 'set CURSOR_API_KEY, or run `cursor-agent login`',
    hidden: 'a login made with `cursor-agent login` is not checked',
  },
};

export interface CredentialCheck {
  /** What was found ("ANTHROPIC_API_KEY is set", a login file), or null. */
  found: string | null;
  /** true when a miss is certain: nothing the doctor cannot see could hold a login. */
  certain: boolean;
  /** How to get credentials, or why a miss is not certain. */
  fix: string;
}

/** The credentials an agent would find; null for agents that need none of their own (`command`). Never reads a secret's value out. */
export function checkCredentials(agent: AgentName, env: NodeJS.ProcessEnv = process.env): CredentialCheck | null {
  if (agent === 'amp') {
    const failure = ampPreflight(env);
    return { found: failure ? null : env.AMP_API_KEY?.trim() ? 'AMP_API_KEY is set' : 'a key stored by `amp login`', certain: true, fix: 'set AMP_API_KEY, or run `amp login`' };
  }
  const sources = SOURCES[agent];
  if (!sources) return null;
  const variable = sources.env.find((name) => (env[name] ?? '').trim() !== '');
  if (variable) return { found: `${variable} is set`, certain: true, fix: sources.fix };
  const file = sources.files(env).find((f) => existsSync(f));
  if (file) return { found: `login file ${file}`, certain: true, fix: sources.fix };
  return { found: null, certain: !sources.hidden, fix: sources.hidden ? `${sources.fix} (${sources.hidden})` : sources.fix };
}
