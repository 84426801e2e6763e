import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { createTaskGraph } from 'nx/src/tasks-runner/create-task-graph';
import { BatchFileError, parseBatchFile } from '../batch/parse';
import { withBatchSettings } from './batch-settings';
import { generateOptionsSchema } from './options';

/** Nx's own task graph for `nx run auth:ai-generate--module <overrides>`, as the executor gets it. */
function contextFor(overrides: Record<string, unknown>, targetOptions: Record<string, unknown> = {}): ExecutorContext {
  const target = { executor: 'nx-worktree-ai:generate', options: { batch: 'libs/auth/ai/module.ai.md', ...targetOptions } };
  const graph: ProjectGraph = {
    nodes: { auth: { name: 'auth', type: 'lib', data: { root: 'libs/auth', targets: { 'ai-generate--module': target } } } },
    dependencies: { auth: [] },
  };
  const taskGraph = createTaskGraph(graph, {}, ['auth'], ['ai-generate--module'], undefined, overrides);
  return { root: '/ws', cwd: '/ws', isVerbose: false, projectName: 'auth', targetName: 'ai-generate--module', taskGraph, projectGraph: graph } as unknown as ExecutorContext;
}

const FILE = 'libs/auth/ai/module.ai.md';
const frontmatter = (yaml: string) => parseBatchFile(FILE, `---\noutputs: [src/**]\n${yaml}---\nBuild it.\n`, 'libs/auth').frontmatter;
/** The executor's options as Nx merges them: schema defaults, the target's options (targetDefaults), the command line. */
const options = (given: Record<string, unknown>) => generateOptionsSchema.parse({ batch: FILE, ...given });

describe('run settings of a batch file', () => {
  const fm = frontmatter('sparse: always\nnodeModules: copy\ncopyFiles: [.env]\n');

  it('the batch file wins over the target options (targetDefaults) and the defaults', () => {
    const merged = withBatchSettings(options({ sparse: 'never', copyFiles: ['.env.ci'] }), fm, contextFor({}, { sparse: 'never', copyFiles: ['.env.ci'] }));
    expect(merged).toMatchObject({ sparse: 'always', nodeModules: 'copy', copyFiles: ['.env'] });
  });

  it("this run's command line wins over the batch file, in either spelling", () => {
    const given = { sparse: 'never', 'node-modules': 'link' };
    const merged = withBatchSettings(options({ sparse: 'never', nodeModules: 'link' }), fm, contextFor(given));
    expect(merged).toMatchObject({ sparse: 'never', nodeModules: 'link', copyFiles: ['.env'] });
  });

  it('a batch file without them leaves the options as they are', () => {
    const given = options({ sparse: 'never', setupCommand: ['make'] });
    expect(withBatchSettings(given, frontmatter(''), contextFor({}))).toEqual(given);
  });

  it('bad values name the file, the key and what is allowed', () => {
    const problems = (yaml: string) => {
      try {
        frontmatter(yaml);
      } catch (e) {
        if (e instanceof BatchFileError && e.message.startsWith(`${FILE}: invalid batch file`)) return e.problems;
        throw e;
      }
      return [];
    };
    expect(problems('sparse: sometimes\n')).toEqual(['key "sparse": got "sometimes"; expected one of "auto" | "always" | "never"']);
    expect(problems('copyFiles: [../secrets.env]\n')).toEqual([expect.stringMatching(/^key "copyFiles.0": got "..\/secrets.env"; expected a path relative to the workspace root/)]);
    // setupCommand runs outside the sandbox: a batch file may not set it.
    expect(problems('setupCommand: [npm, ci]\n')).toEqual([expect.stringMatching(/setupCommand/)]);
  });
});
