import type { z } from 'zod';
import { ONE_SHOT } from './one-shot';

/**
 * Validates generator/executor options with their zod schema (defaults applied). Nx validates
 * against the generated schema.json first; this also covers programmatic calls. The error names
 * each bad option and what it got.
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {}, ONE_SHOT);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown option(s): ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    const key = issue.path.map(String).join('.') || '(options)';
    const value = issue.path.reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), options);
    const got = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
    return `option "${key}": ${got}; ${issue.message}`;
  });
  throw new Error(`${what}: invalid options\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}
