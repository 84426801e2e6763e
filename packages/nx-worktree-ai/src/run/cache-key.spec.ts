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
