import { combineOptionsForExecutor, convertSmartDefaultsIntoNamedParams, getPromptsForSchema, setDefaults, validateOptsAgainstSchema } from 'nx/src/utils/params';
import { SCHEMA_FILES, toNxJsonSchema } from './json-schema';
import executorsJson from '../../executors.json';
import generatorsJson from '../../generators.json';

type Json = Record<string, any>;
const schemaOf = (path: string): Json => toNxJsonSchema(SCHEMA_FILES.find((f) => f.path === path)!);

describe('generated JSON schemas (the same function scripts/build.mjs uses)', () => {
  it('covers every executor and generator of executors.json / generators.json, without $ref/$defs', () => {
    const manifests = [
      ...Object.values(executorsJson.executors).map((e) => e.schema),
      ...Object.values(generatorsJson.generators).map((g) => g.schema),
    ].map((schema) => schema.replace(/^\.\/dist\//, ''));
    expect(SCHEMA_FILES.map((f) => f.path).sort()).toEqual(manifests.sort());
    expect(manifests).toEqual(expect.arrayContaining(['executors/generate/schema.json', 'generators/init/schema.json', 'generators/batch/schema.json', 'generators/plan/schema.json', 'generators/prune/schema.json']));
    for (const file of SCHEMA_FILES) {
      const json = JSON.stringify(toNxJsonSchema(file));
      expect(json).not.toMatch(/"\$ref"|"\$defs"|"definitions"/);
      expect(json).not.toContain(String(Number.MAX_SAFE_INTEGER));
    }
  });

  it('batch generator: properties, required, positional name, prompts', () => {
    const schema = schemaOf('generators/batch/schema.json');
    expect(schema).toMatchObject({ cli: 'nx', $id: 'NxWorktreeAiBatch', title: 'nx-worktree-ai:batch', type: 'object', additionalProperties: false });
    expect(Object.keys(schema.properties)).toEqual(['name', 'project', 'outputs', 'description', 'agent', 'model', 'dependsOn', 'context', 'apply', 'allowEmpty', 'prompt']);
    expect(schema.required).toEqual(['name', 'project', 'outputs']);
    expect(schema.properties.name).toMatchObject({
      type: 'string',
      $default: { $source: 'argv', index: 0 },
      'x-prompt': 'What is the name of the batch (e.g. auth-module)?',
    });
    expect(schema.properties.project).toMatchObject({ $default: { $source: 'projectName' }, 'x-prompt': expect.any(String), 'x-dropdown': 'projects' });
    expect(schema.properties.outputs['x-prompt']).toMatch(/^Which files may the batch write\?/);
    expect(schema.properties.agent).toMatchObject({ default: 'claude', enum: expect.arrayContaining(['claude', 'codex', 'gemini', 'command']) });
    expect(schema.properties.apply.enum).toEqual(['working-tree', 'commit', 'branch']);
  });

  it("batch generator: Nx's own option handling takes the positional name, comma lists and prompts", () => {
    const schema = schemaOf('generators/batch/schema.json');
    const opts: Json = { _: ['auth-module'], project: 'auth', outputs: 'src/{a,b}/**,src/c/**' };
    convertSmartDefaultsIntoNamedParams(opts, schema as never, null as never, null as never);
    setDefaults(opts, schema as never);
    expect(() => validateOptsAgainstSchema(opts, schema as never)).not.toThrow();
    expect(opts).toMatchObject({ name: 'auth-module', outputs: 'src/{a,b}/**,src/c/**', agent: 'claude' });
    expect(() => validateOptsAgainstSchema({ ...opts, output: 'x' }, schema as never)).toThrow("'output' is not found in schema");
    expect(() => validateOptsAgainstSchema({ ...opts, agent: 'gpt' }, schema as never)).toThrow(/should be one of claude,codex/);
    const prompts = getPromptsForSchema({}, structuredClone(schema) as never, { projects: { auth: {} } } as never);
    expect(prompts.map((p) => p.name)).toEqual(['name', 'project', 'outputs']);
  });

  it('init generator: defaults, and accepts what `nx add` passes', () => {
    const schema = schemaOf('generators/init/schema.json');
    expect(schema.properties.targetName).toMatchObject({ type: 'string', default: 'ai-generate' });
    expect(schema.properties.skipFormat).toMatchObject({ type: 'boolean', default: false });
    expect(schema.properties.keepExistingVersions).toMatchObject({ type: 'boolean' });
    expect(schema.required).toBeUndefined();
    const opts = setDefaults({ keepExistingVersions: true }, schema as never);
    expect(() => validateOptsAgainstSchema(opts, schema as never)).not.toThrow();
  });

  it('executor: batch is required and the inferred options plus CLI overrides validate', () => {
    const schema = schemaOf('executors/generate/schema.json');
    expect(schema).toMatchObject({ version: 2, outputCapture: 'direct-nodejs', cli: 'nx', required: ['batch'] });
    expect(schema.properties.timeout.anyOf).toHaveLength(2);
    const target = { options: { batch: 'libs/auth/ai/auth-module.ai.md' } };
    const combined = combineOptionsForExecutor({ model: 'opus', timeout: '20m', 'keep-worktree': 'true' }, '', target, schema as never, 'auth', '');
    expect(combined).toMatchObject({ batch: 'libs/auth/ai/auth-module.ai.md', model: 'opus', timeout: '20m', keepWorktree: true, resultCache: true });
  });

  it('executor: `--dry-run` on the command line (Nx passes it as "dry-run") becomes dryRun', () => {
    const schema = schemaOf('executors/generate/schema.json');
    const target = { options: { batch: 'libs/auth/ai/auth-module.ai.md' } };
    expect(combineOptionsForExecutor({ 'dry-run': true }, '', target, schema as never, 'auth', '')).toMatchObject({ dryRun: true });
    expect(combineOptionsForExecutor({ dryRun: true }, '', target, schema as never, 'auth', '')).toMatchObject({ dryRun: true });
    expect(combineOptionsForExecutor({}, '', target, schema as never, 'auth', '')).toMatchObject({ dryRun: false });
  });

  it('plan generator: positional file, prompt, defaults', () => {
    const schema = schemaOf('generators/plan/schema.json');
    expect(schema.required).toEqual(['file']);
    expect(schema.properties.file).toMatchObject({ $default: { $source: 'argv', index: 0 }, 'x-prompt': expect.any(String) });
    const opts: Json = { _: ['plan.md'], project: 'auth', outputs: 'src/{name}/**' };
    convertSmartDefaultsIntoNamedParams(opts, schema as never, null as never, null as never);
    setDefaults(opts, schema as never);
    expect(() => validateOptsAgainstSchema(opts, schema as never)).not.toThrow();
    expect(opts).toMatchObject({ file: 'plan.md', format: 'auto', directory: 'ai', deleteRemoved: false });
    const prompts = getPromptsForSchema({}, structuredClone(schema) as never, { projects: { auth: {} } } as never);
    expect(prompts.map((p) => p.name)).toEqual(['file']);
  });

  it('prune generator: force, dryRun and olderThan, validated the way Nx does', () => {
    const schema = schemaOf('generators/prune/schema.json');
    expect(schema).toMatchObject({ $id: 'NxWorktreeAiPrune', title: 'nx-worktree-ai:prune', additionalProperties: false });
    expect(Object.keys(schema.properties)).toEqual(['force', 'dryRun', 'olderThan']);
    expect(schema.properties.force).toMatchObject({ type: 'boolean', default: false });
    const opts: Json = { olderThan: '7d' };
    setDefaults(opts, schema as never);
    expect(opts).toEqual({ olderThan: '7d', force: false, dryRun: false });
    expect(() => validateOptsAgainstSchema(opts, schema as never)).not.toThrow();
    expect(() => validateOptsAgainstSchema({ olderThan: 'a week' }, schema as never)).toThrow(/olderThan/);
  });
});
