import type { BatchRun } from '../resolve/resolve';
import { resultCacheKey } from './cache-key';

describe('resultCacheKey', () => {
  const run = (frontmatter: Record<string, unknown>, agent = 'claude') =>
    ({
      agent,
      model: null,
      maxTurns: null,
      maxBudgetUsd: null,
      outputGlobs: ['libs/a/src/**'],
      inputGlobs: ['libs/a/ai/x.ai.md'],
      spec: { frontmatter: { outputs: ['src/**'], ...frontmatter } },
    }) as unknown as BatchRun;
  const key = (r: BatchRun) => resultCacheKey(r, 'prompt', [], new Map());

  it("changes with the batch's settings for its own agent, not with another agent's", () => {
    const plain = key(run({}));
    expect(key(run({ claude: { permissionMode: 'plan' } }))).not.toBe(plain);
    expect(key(run({ qwen: { approvalMode: 'yolo' } }))).toBe(plain);
    expect(key(run({ qwen: { approvalMode: 'yolo' } }, 'qwen'))).not.toBe(key(run({}, 'qwen')));
  });
});

describe('resultCacheKey with verify', () => {
  const run = (verify: BatchRun['verify']) =>
    ({
      agent: 'claude',
      model: null,
      maxTurns: null,
      maxBudgetUsd: null,
      outputGlobs: ['libs/a/src/**'],
      inputGlobs: ['libs/a/ai/x.ai.md'],
      verify,
      spec: { frontmatter: { outputs: ['src/**'] } },
    }) as unknown as BatchRun;
  const key = (r: BatchRun) => resultCacheKey(r, 'prompt', [], new Map());
  const check = (argv: string[], timeoutMs = 600_000, attempts = 3) => ({ argv, timeoutMs, attempts });

  it('changes with the verify command, not with its timeout or attempts; a batch without verify keeps its key', () => {
    const vitest = key(run(check(['npx', 'vitest', 'run', 'libs/a'])));
    expect(vitest).not.toBe(key(run(null)));
    expect(key(run(check(['npx', 'jest', 'libs/a'])))).not.toBe(vitest);
    expect(key(run(check(['npx', 'vitest', 'run', 'libs/a'], 60_000, 5)))).toBe(vitest);
    expect(key(run(null))).toBe(key(run(undefined as unknown as null)));
  });
});
