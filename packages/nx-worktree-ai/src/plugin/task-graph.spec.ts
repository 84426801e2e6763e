import type { CreateNodesResult, ProjectGraph, TargetConfiguration } from '@nx/devkit';
import { createTaskGraph } from 'nx/src/tasks-runner/create-task-graph';
import { removeDir, tempDir, writeFiles } from '@testing/temp';
import { createNodes } from './create-nodes';

/**
 * `nx run-many -t ai-generate --agent codex --model X` must reach every batch task: Nx gives a
 * dependency task no CLI params unless its dependsOn entry forwards them, so this builds Nx's own
 * task graph over the inferred targets and looks at each batch task's overrides.
 */
describe('CLI overrides through the task graph', () => {
  let root: string;
  afterAll(() => removeDir(root));

  async function projectGraph(): Promise<ProjectGraph> {
    root = tempDir('nxwa-graph-');
    const files: Record<string, string> = {
      'nx.json': '{}',
      'libs/auth/project.json': '{ "name": "auth" }',
      'libs/ui/project.json': '{ "name": "ui" }',
      // tests depends on module (same project), module on ui's theme (other project), and auth on ui (^ai-generate).
      'libs/auth/ai/tests.ai.md': '---\noutputs: [src/tests/**]\ndependsOn: [module]\n---\nx\n',
      'libs/auth/ai/module.ai.md': '---\noutputs: [src/module/**]\ndependsOn: ["ui:theme"]\n---\nx\n',
      'libs/ui/ai/theme.ai.md': '---\noutputs: [src/theme/**]\n---\nx\n',
      'libs/ui/ai/icons.ai.md': '---\noutputs: [src/icons/**]\n---\nx\n',
    };
    writeFiles(root, files);
    const batchFiles = Object.keys(files).filter((f) => f.endsWith('.ai.md'));
    const results = await createNodes[1](batchFiles, undefined, { workspaceRoot: root, nxJsonConfiguration: {}, configFiles: batchFiles } as Parameters<(typeof createNodes)[1]>[2]);
    const targets: Record<string, Record<string, TargetConfiguration>> = { 'libs/auth': {}, 'libs/ui': {} };
    for (const [, result] of results) {
      for (const [projectRoot, project] of Object.entries((result as CreateNodesResult).projects ?? {})) Object.assign(targets[projectRoot], project.targets);
    }
    return {
      nodes: {
        auth: { name: 'auth', type: 'lib', data: { root: 'libs/auth', targets: targets['libs/auth'] } },
        ui: { name: 'ui', type: 'lib', data: { root: 'libs/ui', targets: targets['libs/ui'] } },
      },
      dependencies: { auth: [{ source: 'auth', target: 'ui', type: 'static' }], ui: [] },
    };
  }

  it('every batch task of `run-many -t ai-generate --agent codex --model X` gets agent and model', async () => {
    const graph = await projectGraph();
    const overrides = { agent: 'codex', model: 'gpt-5-codex', __overrides_unparsed__: ['--agent', 'codex', '--model', 'gpt-5-codex'] };
    const taskGraph = createTaskGraph(graph, {}, ['auth', 'ui'], ['ai-generate'], undefined, overrides);
    const batchTasks = Object.values(taskGraph.tasks).filter((t) => t.target.target.startsWith('ai-generate--'));
    expect(batchTasks.map((t) => t.id).sort()).toEqual(['auth:ai-generate--module', 'auth:ai-generate--tests', 'ui:ai-generate--icons', 'ui:ai-generate--theme']);
    for (const task of batchTasks) expect(task.overrides).toMatchObject({ agent: 'codex', model: 'gpt-5-codex' });
  });

  it('and so does every batch a single `nx run` pulls in', async () => {
    const graph = await projectGraph();
    const taskGraph = createTaskGraph(graph, {}, ['auth'], ['ai-generate--tests'], undefined, { model: 'opus' });
    expect(Object.keys(taskGraph.tasks).sort()).toEqual(['auth:ai-generate--module', 'auth:ai-generate--tests', 'ui:ai-generate', 'ui:ai-generate--icons', 'ui:ai-generate--theme']);
    for (const task of Object.values(taskGraph.tasks)) expect(task.overrides).toMatchObject({ model: 'opus' });
  });
});
