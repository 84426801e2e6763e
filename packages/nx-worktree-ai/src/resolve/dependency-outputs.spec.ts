import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { tempDirFor } from '@testing/temp';
import { resolveBatchRun } from './resolve';
import { generateOptionsSchema } from './options';

/**
 * The result-cache key takes the outputs of every batch a batch depends on (inputGlobs). They are
 * read from the configuration, so they are the same however the batch is invoked: through
 * run-many, alone, or with --exclude-task-dependencies (a task graph holding only the batch).
 */
describe('dependency outputs of a batch do not depend on how it is invoked', () => {
  const workspace = tempDirFor('nxwa-deps-', { files: {
    'libs/ui/ai/theme.ai.md': '---\noutputs: [src/theme/**]\n---\nTheme.\n',
    'libs/shop/ai/banner.ai.md': '---\noutputs: [src/banner/**]\n---\nBanner.\n',
    'libs/shop/ai/banner-spec.ai.md': '---\noutputs: [src/banner/*.spec.ts]\ndependsOn: [banner]\n---\nSpec.\n',
  } });

  const batchTarget = (file: string, dependsOn: unknown[]) => ({ executor: 'nx-worktree-ai:generate', options: { batch: file }, dependsOn });
  const projects = {
    ui: {
      root: 'libs/ui',
      targets: {
        'ai-generate--theme': batchTarget('libs/ui/ai/theme.ai.md', [{ dependencies: true, target: 'ai-generate', params: 'forward' }]),
        'ai-generate': { executor: 'nx:run-commands', dependsOn: [{ target: 'ai-generate--theme', params: 'forward' }] },
      },
    },
    shop: {
      root: 'libs/shop',
      targets: {
        'ai-generate--banner': batchTarget('libs/shop/ai/banner.ai.md', [{ dependencies: true, target: 'ai-generate', params: 'forward' }]),
        'ai-generate--banner-spec': batchTarget('libs/shop/ai/banner-spec.ai.md', [
          { target: 'ai-generate--banner', params: 'forward' },
          { dependencies: true, target: 'ai-generate', params: 'forward' },
        ]),
        'ai-generate': { executor: 'nx:run-commands', dependsOn: [{ target: 'ai-generate--banner', params: 'forward' }, { target: 'ai-generate--banner-spec', params: 'forward' }] },
      },
    },
  };
  const task = (project: string, target: string) => ({ id: `${project}:${target}`, target: { project, target }, overrides: {}, outputs: [], parallelism: true });
  const context = (taskIds: string[]): ExecutorContext =>
    ({
      root: workspace.path,
      cwd: workspace.path,
      isVerbose: false,
      projectName: 'shop',
      targetName: 'ai-generate--banner-spec',
      projectsConfigurations: { version: 2, projects },
      nxJsonConfiguration: {},
      projectGraph: { nodes: {}, dependencies: { shop: [{ source: 'shop', target: 'ui', type: 'implicit' }], ui: [] } },
      taskGraph: {
        roots: [],
        tasks: Object.fromEntries(taskIds.map((id) => [id, task(...(id.split(':') as [string, string]))])),
        dependencies: Object.fromEntries(taskIds.map((id) => [id, id === 'shop:ai-generate--banner-spec' ? taskIds.filter((d) => d !== id) : []])),
        continuousDependencies: {},
      } as unknown as TaskGraph,
    }) as ExecutorContext;
  const inputsOf = (ctx: ExecutorContext) => resolveBatchRun(generateOptionsSchema.parse({ batch: 'libs/shop/ai/banner-spec.ai.md' }), ctx).inputGlobs;

  it('run-many and --exclude-task-dependencies give the same inputs, the other project’s batch included', () => {
    const full = inputsOf(context(['shop:ai-generate--banner-spec', 'shop:ai-generate--banner', 'ui:ai-generate', 'ui:ai-generate--theme']));
    const alone = inputsOf(context(['shop:ai-generate--banner-spec']));
    expect(full).toEqual(['libs/shop/ai/banner-spec.ai.md', 'libs/shop/src/banner/**', 'libs/ui/src/theme/**']);
    expect(alone).toEqual(full);
  });
});
