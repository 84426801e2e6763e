import type { ExecutorContext } from '@nx/devkit';
import { executorContext } from '@testing/executor';
import { tempDirFor } from '@testing/temp';
import { DEFAULT_TIMEOUT_MS, resolveBatchRun } from './resolve';
import { generateOptionsSchema, type GenerateOptionsInput } from './options';

/**
 * `nx run-many -t ai-generate --agent codex --model X`: Nx passes the flags as options of every
 * task it runs, and they override each batch file for that run.
 */
describe('resolveBatchRun: options override the batch file for a run', () => {
  const workspace = tempDirFor('nxwa-run-', { files: {
    'libs/auth/project.json': '{ "name": "auth" }\n',
    'libs/auth/ai/module.ai.md': '---\nagent: claude\nmodel: sonnet\noutputs: [src/**]\ntimeout: 20m\nmaxTurns: 40\nmaxBudgetUsd: 3\nclaude: { permissionMode: plan }\n---\nBuild it.\n',
    'libs/auth/ai/plain.ai.md': '---\noutputs: [src/**]\n---\nBuild it.\n',
  } });

  const context = (): ExecutorContext =>
    executorContext(workspace.path, { target: 'ai-generate--module' });
  const resolve = (options: Partial<GenerateOptionsInput>) => resolveBatchRun(generateOptionsSchema.parse({ batch: 'libs/auth/ai/module.ai.md', ...options }), context());

  it('takes the batch file as it is without overrides', () => {
    expect(resolve({})).toMatchObject({ agent: 'claude', model: 'sonnet', timeoutMs: 20 * 60_000, maxTurns: 40, maxBudgetUsd: 3, apply: 'working-tree' });
  });

  it('--agent codex --model X replaces agent and model (the claude section stays the claude section)', () => {
    const run = resolve({ agent: 'codex', model: 'gpt-5.5-codex' });
    expect(run).toMatchObject({ agent: 'codex', model: 'gpt-5.5-codex', maxTurns: 40 });
    expect(run.spec.frontmatter.claude).toEqual({ permissionMode: 'plan' });
  });

  it('overrides limits, timeout and apply', () => {
    expect(resolve({ timeout: '90s', maxTurns: 5, maxBudgetUsd: 0.5, apply: 'branch' })).toMatchObject({ timeoutMs: 90_000, maxTurns: 5, maxBudgetUsd: 0.5, apply: 'branch' });
  });

  it('always has a hard timeout: 30m by default, never zero', () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(30 * 60_000);
    expect(resolveBatchRun(generateOptionsSchema.parse({ batch: 'libs/auth/ai/plain.ai.md' }), context())).toMatchObject({ agent: 'claude', model: null, timeoutMs: DEFAULT_TIMEOUT_MS });
    expect(generateOptionsSchema.safeParse({ batch: 'x', timeout: '0s' }).success).toBe(false);
    expect(generateOptionsSchema.safeParse({ batch: 'x', timeout: '0m0s' }).success).toBe(false);
    expect(generateOptionsSchema.safeParse({ batch: 'x', timeout: 0 }).success).toBe(false);
  });

  it('retries, retryDelay and resume default to 2, 10s and off', () => {
    expect(generateOptionsSchema.parse({ batch: 'x' })).toMatchObject({ retries: 2, retryDelay: '10s', resume: false });
    expect(generateOptionsSchema.safeParse({ batch: 'x', retries: -1 }).success).toBe(false);
    expect(generateOptionsSchema.safeParse({ batch: 'x', retries: 11 }).success).toBe(false);
  });
});
