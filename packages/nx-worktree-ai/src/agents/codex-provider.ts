import type { TomlValue } from './options';
import { parseTomlKey, parseTomlValue, setPath } from './toml-value';

/** codex's own provider: its key variable and endpoint. */
export const CODEX_DEFAULT_PROVIDER = { id: 'openai', envKey: 'CODEX_API_KEY', baseUrl: 'https://api.openai.com/v1' } as const;

/** The model provider a codex run uses, as far as its command line says. */
export interface CodexProvider {
  /** `model_provider`, 'openai' when the command line does not set it. */
  id: string;
  /** The variable the provider reads its key from (its `env_key`); null when the command line does not say. */
  envKey: string | null;
  /** Its `base_url`; null when the command line does not say. */
  baseUrl: string | null;
  /** Set on the command line (`-c model_providers.<id>...`), not only in $CODEX_HOME/config.toml. */
  fromArgs: boolean;
}

/**
 * The provider of a `codex exec` argv, read from its `-c key=value` overrides (the batch's
 * `codex.config` and any in agentArgs; a later one wins, as in codex). A provider defined only in
 * $CODEX_HOME/config.toml or a `--profile` is not seen: its envKey and baseUrl stay null.
 */
export function codexProviderOf(args: readonly string[]): CodexProvider {
  const config: { [key: string]: TomlValue } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let pair: string | undefined;
    if (arg === '-c' || arg === '--config') pair = args[++i];
    else if (arg.startsWith('--config=')) pair = arg.slice('--config='.length);
    else if (arg.startsWith('-c') && arg.length > 2 && arg.includes('=')) pair = arg.slice(2);
    if (pair === undefined) continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? parseTomlKey(pair.slice(0, eq)) : null;
    if (!key) continue;
    const raw = pair.slice(eq + 1);
    setPath(config, key, parseTomlValue(raw) ?? raw.trim());
  }
  const id = typeof config.model_provider === 'string' ? config.model_provider : CODEX_DEFAULT_PROVIDER.id;
  const providers = config.model_providers;
  const entry = isTable(providers) ? providers[id] : undefined;
  const provider = isTable(entry) ? entry : null;
  const text = (value: TomlValue | undefined) => (typeof value === 'string' && value !== '' ? value : null);
  if (!provider && id === CODEX_DEFAULT_PROVIDER.id) return { id, envKey: CODEX_DEFAULT_PROVIDER.envKey, baseUrl: CODEX_DEFAULT_PROVIDER.baseUrl, fromArgs: false };
  return { id, envKey: text(provider?.env_key), baseUrl: text(provider?.base_url), fromArgs: provider !== null };
}

function isTable(value: TomlValue | undefined): value is { [key: string]: TomlValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
