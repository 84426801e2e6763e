import type { ExecutorContext } from '@nx/devkit';
import { batchesInOrder } from './batches';

describe('batchesInOrder: the batches an aggregate applies, each after those it depends on', () => {
  const batch = (name: string, after: string[] = []) => ({
    executor: 'nx-worktree-ai:generate',
    options: { batch: `libs/shop/ai/${name}.ai.md` },
    dependsOn: [...after.map((target) => ({ target: `ai-generate--${target}`, params: 'forward' })), { dependencies: true, target: 'ai-generate', params: 'forward' }],
  });
  const context = {
    projectsConfigurations: {
      version: 2,
      projects: {
        shop: {
          root: 'libs/shop',
          targets: {
            'ai-generate--a-spec': batch('a-spec', ['b-base']),
            'ai-generate--b-base': batch('b-base', ['c-root']),
            'ai-generate--c-root': batch('c-root'),
            'ai-generate--lone': batch('lone'),
            build: { executor: 'nx:run-commands' },
            'ai-generate': {
              executor: 'nx-worktree-ai:apply',
              dependsOn: ['a-spec', 'lone', 'b-base', 'c-root'].map((n) => ({ target: `ai-generate--${n}`, params: 'forward' })).concat([{ target: 'build', params: 'forward' }]),
            },
          },
        },
      },
    },
  } as unknown as ExecutorContext;

  it('orders by dependsOn inside the project and leaves out targets that are no batch', () => {
    expect(batchesInOrder(context, 'shop', 'ai-generate').map((b) => b.target)).toEqual(['ai-generate--c-root', 'ai-generate--b-base', 'ai-generate--a-spec', 'ai-generate--lone']);
    expect(batchesInOrder(context, 'shop', 'ai-generate')[2]).toEqual({ target: 'ai-generate--a-spec', file: 'libs/shop/ai/a-spec.ai.md', after: ['ai-generate--b-base'] });
  });
});
