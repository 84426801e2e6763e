/**
 * The README's option tables, rendered from the zod schemas the code validates with: the plugin
 * options, every executor of executors.json and every generator of generators.json (through
 * SCHEMA_FILES, the same list the build turns into schema.json files). They live in README.md
 * between the markers below; `npm run docs` rewrites them, and tools/docs/options.spec.ts fails
 * when README.md is out of date, so the docs cannot drift from the options.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { aiPluginOptionsSchema } from '../../packages/nx-worktree-ai/src/plugin/options';
import { SCHEMA_FILES, toNxJsonSchema, type SchemaFile } from '../../packages/nx-worktree-ai/src/schemas/json-schema';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const README = join(REPO_ROOT, 'README.md');
const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'nx-worktree-ai');

export const BEGIN = '<!-- BEGIN GENERATED OPTIONS: npm run docs (from the zod schemas; do not edit by hand) -->';
export const END = '<!-- END GENERATED OPTIONS -->';

type Json = Record<string, any>;

interface Manifest {
  kind: 'executor' | 'generator';
  name: string;
  description: string;
  schemaPath: string;
}

/** Every executor and generator the package publishes, in manifest order. */
export function manifests(): Manifest[] {
  const read = (file: string) => JSON.parse(readFileSync(join(PACKAGE_DIR, file), 'utf8'));
  const executors = Object.entries(read('executors.json').executors as Record<string, Json>).map(([name, e]) => ({ kind: 'executor' as const, name, description: e.description, schemaPath: e.schema }));
  const generators = Object.entries(read('generators.json').generators as Record<string, Json>).map(([name, g]) => ({ kind: 'generator' as const, name, description: g.description, schemaPath: g.schema }));
  return [...executors, ...generators];
}

function schemaFileOf(m: Manifest): SchemaFile {
  const path = m.schemaPath.replace(/^\.\/dist\//, '');
  const file = SCHEMA_FILES.find((f) => f.path === path);
  if (!file) {
    throw new Error(`${m.kind} "${m.name}" (${m.schemaPath}) has no zod schema in SCHEMA_FILES (packages/nx-worktree-ai/src/schemas/json-schema.ts): add it there, then run npm run docs`);
  }
  return file;
}

function typeOf(p: Json): string {
  if (p.enum) return p.enum.map((v: unknown) => `\`${JSON.stringify(v).replace(/^"|"$/g, '')}\``).join(' \\| ');
  if (p.const !== undefined) return `\`${JSON.stringify(p.const)}\``;
  if (p.anyOf) return [...new Set(p.anyOf.map(typeOf))].join(' \\| ');
  if (p.type === 'array') return `${p.items ? typeOf(p.items) : 'any'}[]`;
  if (p.type === 'integer') return 'integer';
  return String(p.type ?? 'any');
}

/** Table-cell text: no raw HTML (`<name>` would vanish), no emphasis from globs (`src/**`), no column breaks. */
function cell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\*/g, '\\*')
    .replace(/\|/g, '\\|');
}

/** A value as inline code (a double-backtick span when it contains a backtick). */
function code(value: string): string {
  return value.includes('`') ? `\`\` ${value} \`\`` : `\`${value}\``;
}

function optionsTable(schema: Json, flags: { positional?: Set<string>; required?: string[] } = {}): string {
  const rows = Object.entries(schema.properties as Record<string, Json>).map(([name, p]) => {
    const notes: string[] = [];
    if (flags.required?.includes(name)) notes.push('required');
    if (p.$default?.$source === 'argv') notes.push(`positional ${p.$default.index + 1}`);
    if (p['x-prompt']) notes.push('asked when missing');
    if (p['x-priority'] === 'internal') notes.push('internal');
    const option = `\`${name}\`${notes.length ? ` (${notes.join(', ')})` : ''}`;
    const def = p.default === undefined ? '' : code(JSON.stringify(p.default)).replace(/\|/g, '\\|');
    return `| ${option} | ${typeOf(p)} | ${def} | ${cell(p.description ?? '')} |`;
  });
  return ['| option | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The generated block, markers included. */
export function renderOptionsBlock(): string {
  const parts: string[] = [BEGIN, ''];
  const plugin = z.toJSONSchema(aiPluginOptionsSchema, { io: 'input', target: 'draft-7' }) as Json;
  parts.push(
    '#### Plugin options (`nx.json` → `plugins`)',
    '',
    '```json',
    '{ "plugins": [{ "plugin": "nx-worktree-ai", "options": { "targetName": "ai-generate" } }] }',
    '```',
    '',
    optionsTable(plugin),
    '',
  );
  for (const m of manifests()) {
    const file = schemaFileOf(m);
    const schema = toNxJsonSchema(file);
    const usage =
      m.kind === 'executor'
        ? m.name === 'apply'
          ? 'For a target you configure with it (`"dependsOn"`: the batch targets whose changes it applies); the inferred `ai-generate` needs none of it. Per run: `--dry-run`, `--apply=commit`.'
          : 'The inferred targets set only `batch`. Set the others in `nx.json` `targetDefaults` (for the executor), or per run: `nx run-many -t ai-generate --model opus`, `--dry-run`.'
        : `\`nx g nx-worktree-ai:${m.name}${positionalUsage(schema)}\`${m.name === 'init' ? ' (what `nx add nx-worktree-ai` runs)' : ''}; Nx's own \`--dry-run\` shows the files without writing them.`;
    parts.push(`#### ${m.kind === 'executor' ? 'Executor' : 'Generator'} \`nx-worktree-ai:${m.name}\``, '', cell(m.description), '', usage, '', optionsTable(schema, { required: schema.required as string[] | undefined }), '');
  }
  parts.push(END);
  return parts.join('\n');
}

function positionalUsage(schema: Json): string {
  const positional = Object.entries(schema.properties as Record<string, Json>)
    .filter(([, p]) => p.$default?.$source === 'argv')
    .sort(([, a], [, b]) => a.$default.index - b.$default.index)
    .map(([name]) => ` <${name}>`);
  return positional.join('');
}

/** README text with the block replaced; throws when the markers are missing. */
export function withOptionsBlock(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${BEGIN}" ... "${END}" block`);
  return readme.slice(0, start) + renderOptionsBlock() + readme.slice(end + END.length);
}
