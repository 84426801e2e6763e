/**
 * Keeps credential values out of everything the plugin writes or prints: transcripts, progress and
 * log lines, error messages, result.json and the other artifacts, commit messages and trailers.
 * Nx caches terminal output and outputs (and may upload them to a remote cache), so a secret that
 * reaches any of them is as good as published.
 *
 * Which values: the environment variables below, every variable whose name ends in _KEY, _TOKEN,
 * _SECRET or _PASSWORD (any case), and the names the user lists in the executor option `secretEnv`.
 * Values shorter than MIN_SECRET_LENGTH characters are not redacted: a value such as "1", "true"
 * or "fake" would be replaced all over unrelated text, and a credential that short protects nothing.
 * Each value is replaced as written, JSON-escaped (transcripts are JSON lines) and URL-encoded.
 * What it cannot see: a secret the agent transforms (base64, split, reversed) or one that is not in
 * the environment of the executor (read from a file by the agent). See SECURITY.md.
 */

/** Credential variables of the agent CLIs and the tools they commonly call. */
export const CREDENTIAL_ENV_NAMES = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GH_TOKEN',
  'GITHUB_TOKEN',
  'COPILOT_GITHUB_TOKEN',
  'CURSOR_API_KEY',
  'AMP_API_KEY',
] as const;

/** Names that look like credentials whatever the tool: FOO_KEY, FOO_TOKEN, FOO_SECRET, FOO_PASSWORD. */
export const CREDENTIAL_NAME_PATTERN = /_(KEY|TOKEN|SECRET|PASSWORD)$/i;

/** Shorter values are left alone (see the module comment). */
export const MIN_SECRET_LENGTH = 6;

export type Redactor = ((text: string) => string) & {
  /** The variable names whose values are redacted (never the values). */
  readonly names: readonly string[];
};

/** Whether a variable of this name is treated as a credential. */
export function isCredentialName(name: string, extraNames: readonly string[] = []): boolean {
  return (CREDENTIAL_ENV_NAMES as readonly string[]).includes(name) || CREDENTIAL_NAME_PATTERN.test(name) || extraNames.includes(name);
}

/** name -> value of every credential variable of `env` long enough to redact. */
export function secretsOf(env: NodeJS.ProcessEnv | Record<string, string | undefined>, extraNames: readonly string[] = []): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    if (isCredentialName(name, extraNames)) secrets.set(name, value);
  }
  return secrets;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a value takes in our sinks: as is, inside a JSON string, URL-encoded. */
function formsOf(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * A function that replaces every credential value of `env` (and of the variables named in
 * `extraNames`) with `[redacted:NAME]`. Built once per run: one regular expression, longest values
 * first so a value that contains another is replaced whole.
 */
export function createRedactor(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env, extraNames: readonly string[] = []): Redactor {
  const secrets = secretsOf(env, extraNames);
  const byForm = new Map<string, string>();
  for (const [name, value] of secrets) for (const form of formsOf(value)) if (!byForm.has(form)) byForm.set(form, name);
  const names = [...secrets.keys()].sort();
  if (byForm.size === 0) return Object.assign((text: string) => text, { names });
  const pattern = new RegExp([...byForm.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  const redact = (text: string): string => (typeof text === 'string' && text.length >= MIN_SECRET_LENGTH ? text.replace(pattern, (m) => `[redacted:${byForm.get(m)}]`) : text);
  return Object.assign(redact, { names });
}

/** A redactor that changes nothing (tests, or code paths that run before the options are known). */
export const noRedaction: Redactor = Object.assign((text: string) => text, { names: [] as string[] });

/** Redacts artifact files: strings and UTF-8 text buffers; binary content is left as it is. */
export function redactFiles(files: Record<string, string | Buffer>, redact: Redactor): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = {};
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === 'string') out[name] = redact(content);
    else {
      const text = content.toString('utf8');
      const isText = !content.includes(0) && Buffer.from(text, 'utf8').equals(content);
      out[name] = isText ? Buffer.from(redact(text), 'utf8') : content;
    }
  }
  return out;
}
