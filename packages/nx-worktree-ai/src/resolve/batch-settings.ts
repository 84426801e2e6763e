import type { ExecutorContext } from '@nx/devkit';
import { BATCH_RUN_SETTINGS } from '../batch/run-settings';
import type { BatchFrontmatter } from '../batch/spec';
import type { GenerateOptions } from './options';

/**
 * The run settings a batch file may set (sparse, nodeModules, copyFiles), most
 * specific first: this run's command line (`--sparse=never`), the batch file, the target's options
 * (nx.json targetDefaults, project.json), the built-in default. Nx hands the executor all of them
 * merged, so the command line is told apart by the overrides of this task in Nx's task graph.
 */
export function withBatchSettings(options: GenerateOptions, frontmatter: BatchFrontmatter, context: ExecutorContext): GenerateOptions {
  const fromCommandLine = commandLineOptions(context);
  const settings: Partial<GenerateOptions> = {};
  for (const key of BATCH_RUN_SETTINGS) {
    if (frontmatter[key] !== undefined && !fromCommandLine.has(key)) Object.assign(settings, { [key]: frontmatter[key] });
  }
  return { ...options, ...settings };
}

/** Names (camelCase) of the options given on the command line of this task's Nx run. */
function commandLineOptions(context: ExecutorContext): Set<string> {
  const tasks = Object.values(context.taskGraph?.tasks ?? {});
  const task = tasks.find((t) => t.target.project === context.projectName && t.target.target === context.targetName);
  return new Set(Object.keys(task?.overrides ?? {}).map((name) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
}
