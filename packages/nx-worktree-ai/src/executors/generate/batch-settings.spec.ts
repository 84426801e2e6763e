import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { createTaskGraph } from 'nx/src/tasks-runner/create-task-graph';
import { gitRepo, removeDir, tempDir, writeFiles } from '@testing/temp';
import generateExecutor from './executor';

/**
 * Run settings in a batch file reach the run, below the command line and above targetDefaults: a
 * real git repository, the `command` agent (a node script that writes what its worktree holds),
 * and Nx's own task graph carrying the command line's overrides, as Nx hands it to the executor.
 */
jest.setTimeout(60_000);

const FILE = 'libs/auth/ai/probe.ai.md';
// The agent writes whether another project's file and the copied ignored file are in its worktree.
const PROBE = "const fs = require('fs'); fs.mkdirSync('libs/auth/src', { recursive: true }); fs.writeFileSync('libs/auth/src/seen.json', JSON.stringify({ other: fs.existsSync('libs/other/x.ts'), env: fs.existsSync('.env.batch') }));";

function context(root: string, commandLine: Record<string, unknown>, targetOptions: Record<string, unknown>): ExecutorContext {
  const target = { executor: 'nx-worktree-ai:generate', options: { batch: FILE, ...targetOptions } };
  const graph: ProjectGraph = {
    nodes: {
      auth: { name: 'auth', type: 'lib', data: { root: 'libs/auth', targets: { 'ai-generate--probe': target } } },
      other: { name: 'other', type: 'lib', data: { root: 'libs/other', targets: {} } },
    },
    dependencies: { auth: [], other: [] },
  };
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'auth',
    targetName: 'ai-generate--probe',
    projectsConfigurations: { version: 2, projects: { auth: graph.nodes.auth.data, other: graph.nodes.other.data } },
    nxJsonConfiguration: {},
    projectGraph: graph,
    taskGraph: createTaskGraph(graph, {}, ['auth'], ['ai-generate--probe'], undefined, commandLine),
  } as unknown as ExecutorContext;
}

describe('run settings of a batch file, in a run', () => {
  let root: string;
  let worktreeDir: string;
  beforeEach(() => {
    root = gitRepo({
      'libs/auth/project.json': '{ "name": "auth" }\n',
      'libs/other/project.json': '{ "name": "other" }\n',
      'libs/other/x.ts': 'export const x = 1;\n',
      [FILE]: `---\nagent: command\ncommand: [node, -e, ${JSON.stringify(PROBE)}]\noutputs: [src/**]\nsparse: always\ncopyFiles: [.env.batch]\n---\nProbe.\n`,
      '.gitignore': '.nx-worktree-ai/\n.env*\n',
    });
    writeFiles(root, { '.env.batch': 'A=1\n' });
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  /** Nx merges schema defaults, the target's options and the command line into the executor's options. */
  async function run(commandLine: Record<string, unknown>, targetOptions: Record<string, unknown>) {
    const options = { batch: FILE, worktreeDir, resultCache: false, ...targetOptions, ...commandLine };
    await expect(generateExecutor(options, context(root, commandLine, targetOptions))).resolves.toEqual({ success: true });
    return JSON.parse(readFileSync(join(root, 'libs/auth/src/seen.json'), 'utf8'));
  }

  it('the batch file wins over targetDefaults: a sparse worktree with the copied file', async () => {
    expect(await run({}, { sparse: 'never', copyFiles: [] })).toEqual({ other: false, env: true });
  });

  it('the command line wins over the batch file', async () => {
    expect(await run({ sparse: 'never' }, {})).toEqual({ other: true, env: true });
  });
});
