import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { applyOptionsSchema } from '../executors/apply/schema';
import { generateOptionsSchema } from '../resolve/options';
import { batchGeneratorSchema } from '../generators/batch/schema';
import { initGeneratorSchema } from '../generators/init/schema';
import { planGeneratorSchema } from '../generators/plan/schema';
import { pruneGeneratorSchema } from '../generators/prune/schema';

/**
 * The schema.json files Nx reads (executors.json / generators.json point at them) are generated
 * from the zod schemas the code validates with, so the two cannot drift. scripts/build.mjs calls
 * `writeSchemaFiles` of the compiled module after tsc.
 *
 * Nx-specific keys travel in zod metadata: `.describe(...)` for `description`, and
 * `.meta({ 'x-prompt': ..., $default: { $source: 'argv', index: 0 }, 'x-dropdown': 'projects',
 * 'x-priority': ... })`; z.toJSONSchema copies metadata keys into the property.
 */
export interface SchemaFile {
  /** Path under dist/, e.g. generators/batch/schema.json. */
  path: string;
  kind: 'executor' | 'generator';
  $id: string;
  title: string;
  description: string;
  schema: z.ZodType;
  examples?: Array<{ command: string; description: string }>;
}

export const SCHEMA_FILES: SchemaFile[] = [
  {
    path: 'executors/generate/schema.json',
    kind: 'executor',
    $id: 'NxWorktreeAiGenerate',
    title: 'nx-worktree-ai:generate',
    description: 'Runs one AI batch (a <name>.ai.md file) with a headless agent CLI in its own git worktree and brings the result back.',
    schema: generateOptionsSchema,
  },
  {
    path: 'executors/apply/schema.json',
    kind: 'executor',
    $id: 'NxWorktreeAiApply',
    title: 'nx-worktree-ai:apply',
    description: "Brings the changes of a project's AI batches into the workspace; keeps every file changed since a batch's base.",
    schema: applyOptionsSchema,
  },
  {
    path: 'generators/init/schema.json',
    kind: 'generator',
    $id: 'NxWorktreeAiInit',
    title: 'nx-worktree-ai:init',
    description: 'Registers the nx-worktree-ai plugin in nx.json and gitignores its artifact folder.',
    schema: initGeneratorSchema,
  },
  {
    path: 'generators/batch/schema.json',
    kind: 'generator',
    $id: 'NxWorktreeAiBatch',
    title: 'nx-worktree-ai:batch',
    description: 'Creates a batch file <project root>/ai/<name>.ai.md: frontmatter (outputs, agent, ...) and the prompt.',
    schema: batchGeneratorSchema,
    examples: [
      {
        command: "nx g nx-worktree-ai:batch auth-module --project auth --outputs 'src/auth/**'",
        description: 'A batch that may write src/auth/** of the auth project',
      },
    ],
  },
  {
    path: 'generators/plan/schema.json',
    kind: 'generator',
    $id: 'NxWorktreeAiPlan',
    title: 'nx-worktree-ai:plan',
    description:
      'Turns a plan file into batch files <project root>/ai/<name>.ai.md: a markdown plan (one "## <batch>" section per batch) or a cast-parallel Agent Dispatch Manifest (```json dispatch). Running it again updates the same files.',
    schema: planGeneratorSchema,
    examples: [
      { command: 'nx g nx-worktree-ai:plan plan.md', description: 'One batch file per "## <batch>" section of plan.md' },
      {
        command: "nx g nx-worktree-ai:plan ~/.claude/plans/feature.md --project web --outputs 'src/{name}/**' --dry-run",
        description: 'A cast-parallel manifest: every agent becomes a batch of the web project writing src/<batch name>/**; show the files only',
      },
    ],
  },
  {
    path: 'generators/prune/schema.json',
    kind: 'generator',
    $id: 'NxWorktreeAiPrune',
    title: 'nx-worktree-ai:prune',
    description:
      'Cleans what interrupted or crashed runs left (agent processes, worktrees, temp files, registry entries, half-done integrations), ' +
      'worktrees kept by failed runs, and batch branches whose work is integrated. Work found nowhere else is kept unless --force.',
    schema: pruneGeneratorSchema,
    examples: [
      { command: 'nx g nx-worktree-ai:prune --dry-run', description: 'Show what would be cleaned' },
      { command: 'nx g nx-worktree-ai:prune --olderThan 7d', description: 'Only kept worktrees and branches at least a week old' },
    ],
  },
];

/** The Nx schema.json object for one zod schema. Throws on anything Nx's schema handling would not follow. */
export function toNxJsonSchema(file: SchemaFile): Record<string, unknown> {
  const generated = z.toJSONSchema(file.schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' }) as Record<string, unknown>;
  assertNxCompatible(generated, file.title);
  const { $schema: _ignored, type, properties, required, additionalProperties, ...rest } = generated;
  if (type !== 'object') throw new Error(`${file.title}: the options schema must be an object, got ${String(type)}`);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: file.$id,
    ...(file.kind === 'executor' ? { version: 2, outputCapture: 'direct-nodejs' } : {}),
    cli: 'nx',
    title: file.title,
    description: file.description,
    type: 'object',
    properties: stripSafeIntegerBounds(properties),
    ...(required ? { required } : {}),
    ...(additionalProperties !== undefined ? { additionalProperties } : {}),
    ...(file.examples ? { examples: file.examples } : {}),
    ...rest,
  };
}

/** Writes every schema.json under `distDir`; returns the written paths. */
export function writeSchemaFiles(distDir: string): string[] {
  return SCHEMA_FILES.map((file) => {
    const target = join(distDir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(toNxJsonSchema(file), null, 2)}\n`);
    return target;
  });
}

/**
 * Nx resolves only `#/definitions/...` references, ignores `$defs`, and reads `properties`
 * of the top-level object: refuse anything else rather than ship a schema Nx half-understands.
 */
function assertNxCompatible(node: unknown, title: string, path = '#'): void {
  if (Array.isArray(node)) return node.forEach((item, i) => assertNxCompatible(item, title, `${path}/${i}`));
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' || key === '$defs' || key === 'definitions') {
      throw new Error(`${title}: the generated JSON schema uses "${key}" at ${path}; Nx does not follow it: inline the zod schema`);
    }
    assertNxCompatible(value, title, `${path}/${key}`);
  }
}

/** z.int() adds ±(2^53-1) bounds: noise in a CLI schema. */
function stripSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSafeIntegerBounds);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = stripSafeIntegerBounds(value);
  }
  return out;
}
