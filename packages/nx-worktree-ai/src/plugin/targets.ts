import { detectPackageManager, getPackageManagerCommand, type TargetConfiguration } from '@nx/devkit';
import { posix } from 'node:path';
import type { InferredBatch } from './batches';
import { globsMayOverlap, joinRootGlob, normalizeGlob } from '../batch/globs';
import type { NormalizedAiPluginOptions } from './options';
import type { AgentName } from '../agents/names';
import { artifactDir, batchTargetName, EXECUTOR, TECHNOLOGY } from './paths';
import { inertNxTokens } from '../batch/nx-tokens';
import { shellQuote } from '../utils/shell-quote';
import { dependencyOrder } from './order';

type Input = string | { dependentTasksOutputFiles: string; transitive?: boolean } | { externalDependencies: string[] };

/** The plugin options, and the npm packages (the plugin's, the agent CLI's) Nx can hash for a batch's agent. */
export type TargetOptions = NormalizedAiPluginOptions & { externals?: (agent: AgentName) => string[] };

/**
 * Every `dependsOn` entry forwards the command-line options (`params: 'forward'`): Nx gives a task
 * reached through a dependency no overrides otherwise, so `nx run-many -t ai-generate --dry-run` (or
 * `--model opus`) would not reach the batch targets behind the aggregate, and a batch reached first
 * through another batch's dependsOn would run for real in a dry run.
 *
 * The target of one batch:
 * - options: only `{ batch }` (Nx hashes every target of a project: keep inferred options minimal);
 * - inputs: the batch file, its `context`, the changes of the batches it depends on as
 *   `{ dependentTasksOutputFiles: '**\/changes.patch', transitive: true }` (the patch only: the
 *   other artifacts carry timestamps, and a dependent would never hit the cache), then `!`
 *   negations of its own outputs so they are never part of its hash. Dependency outputs must not
 *   be plain file globs: Nx hashes those from the file list it took before the run, when the
 *   dependency had not written them yet; dependentTasksOutputFiles is hashed after it has run;
 *   the versions of the plugin and of the agent CLI (`externalDependencies`) where Nx knows them;
 * - outputs: ONLY its artifact folder (changes.patch, result.json, transcript, prompt). A cache
 *   restore then never touches a source file: the aggregate target (nx-worktree-ai apply) brings
 *   the change into the workspace with the ownership rule, so an edit of generated code is kept.
 */
export function batchTarget(batch: InferredBatch, options: TargetOptions, pmExec: string): TargetConfiguration {
  const spec = batch.spec!;
  const { outputs, context } = spec.frontmatter;
  const positive: string[] = [];
  const add = (input: string) => {
    if (!positive.includes(input)) positive.push(input);
  };
  add(`{projectRoot}/${batch.pathInProject}`);
  for (const entry of context) add(contextInput(entry));

  const negations: string[] = [];
  const workspaceGlobs = positive.filter((i) => i.startsWith('{workspaceRoot}/')).map((i) => i.slice('{workspaceRoot}/'.length));
  for (const output of outputs) {
    const glob = normalizeGlob(output);
    negations.push(glob ? `!{projectRoot}/${glob}` : '!{projectRoot}/**');
    // `{workspaceRoot}` inputs are hashed as a separate file set: negate there too when they may reach the outputs.
    const inWorkspace = joinRootGlob(batch.root, glob);
    if (workspaceGlobs.some((g) => globsMayOverlap(g, inWorkspace))) {
      negations.push(`!{workspaceRoot}/${posix.join(batch.root, glob || '**')}`);
    }
  }

  const inputs: Input[] = [...positive];
  if (batch.dependsOn.length || options.dependsOnProjectBatches) inputs.push({ dependentTasksOutputFiles: '**/changes.patch', transitive: true });
  // Upgrading the plugin or the agent CLI is a new run for Nx, not a replay of its cache.
  const externals = options.externals?.(spec.frontmatter.agent) ?? [];
  if (externals.length) inputs.push({ externalDependencies: externals });
  inputs.push(...negations);

  const dependsOn: TargetConfiguration['dependsOn'] = batch.dependsOn.map((dep) =>
    dep.root === batch.root
      ? { target: batchTargetName(options.targetName, dep.name), params: 'forward' }
      : { projects: [dep.project], target: batchTargetName(options.targetName, dep.name), params: 'forward' },
  );
  if (options.dependsOnProjectBatches) dependsOn.push({ dependencies: true, target: options.targetName, params: 'forward' });

  const target = batchTargetName(options.targetName, batch.name);
  return {
    executor: EXECUTOR,
    options: { batch: batch.file },
    cache: true,
    inputs,
    outputs: [`{workspaceRoot}/${artifactDir(batch.project, batch.name)}`],
    ...(dependsOn.length ? { dependsOn } : {}),
    metadata: {
      description: describeBatch(batch),
      technologies: [TECHNOLOGY],
      help: {
        command: `${pmExec} nx run ${batch.project}:${target} --help`,
        example: { options: { model: 'opus', keepWorktree: true } },
      },
    },
  };
}

/**
 * The target of a batch file with problems (unreadable, invalid keys, a cycle, overlapping outputs):
 * inferred anyway so that the project graph and every other target keep working, and failing when
 * run with the problems. No dependsOn: a cycle would otherwise make the whole task graph refuse.
 */
export function invalidBatchTarget(batch: InferredBatch, problems: string[]): TargetConfiguration {
  return {
    executor: EXECUTOR,
    options: { batch: batch.file, invalid: problems.map(inertNxTokens) },
    cache: false,
    inputs: [`{projectRoot}/${batch.pathInProject}`],
    outputs: [`{workspaceRoot}/${artifactDir(batch.project, batch.name)}`],
    metadata: {
      description: `Invalid batch file ${batch.file} (fails when run until fixed): ${inertNxTokens(problems[0])}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`,
      technologies: [TECHNOLOGY],
    },
  };
}

/**
 * `<targetName>`: runs every batch of the project (dependsOn on each batch target), then brings
 * their changes into the workspace with `nx-worktree-ai apply`, in the order their changes stack.
 * Never cached: it is the local step after Nx restored a batch's artifact folder, and it must look
 * at the workspace as it is. A run-commands target, which Nx runs without forking a worker process
 * and loading the plugin for it: after a fresh run there is nothing to apply. `withProblems` are
 * the batches whose file is invalid (their targets have no dependsOn).
 */
export function aggregateTarget(project: string, batches: InferredBatch[], options: NormalizedAiPluginOptions, withProblems: ReadonlySet<InferredBatch> = new Set()): TargetConfiguration {
  const names = batches.map((b) => b.name).sort();
  const byName = new Map(batches.map((b) => [b.name, b]));
  const after = (name: string) => {
    const batch = byName.get(name)!;
    return withProblems.has(batch) ? [] : batch.dependsOn.filter((d) => d.root === batch.root).map((d) => d.name);
  };
  const files = dependencyOrder(names, after).map((name) => byName.get(name)!.file);
  const root = batches[0]?.root ?? '.';
  const command = ['nx-worktree-ai', 'apply', project, `--project-root=${root}`, `--batches=${files.join(',')}`].map(shellQuote).join(' ');
  return {
    executor: 'nx:run-commands',
    options: { command, cwd: '{workspaceRoot}' },
    dependsOn: names.map((name) => ({ target: batchTargetName(options.targetName, name), params: 'forward' as const })),
    cache: false,
    metadata: {
      description: `Runs every AI batch of ${project} (${names.join(', ')}), in parallel where dependsOn allows, then applies the batches' changes to the workspace (files you changed since are kept)`,
      technologies: [TECHNOLOGY],
    },
  };
}

/**
 * `<reportTargetName>` on the root project: `nx-worktree-ai report` (the package's command), never
 * cached: it reads the artifact folders the batch targets leave.
 */
export function reportTarget(pmExec: string): TargetConfiguration {
  return {
    executor: 'nx:run-commands',
    options: { command: 'nx-worktree-ai report', cwd: '{workspaceRoot}' },
    cache: false,
    metadata: {
      description: 'Prints the AI batches of the last nx command (status, cache, duration, tokens, cost, files, branch; --run <id>, --all) and writes .nx-worktree-ai/report.html',
      technologies: [TECHNOLOGY],
      help: { command: `${pmExec} nx-worktree-ai report --help`, example: { args: ['--no-html'] } },
    },
  };
}

/** A context entry as an Nx input: `{workspaceRoot}/...` and `{projectRoot}/...` kept, anything else under the project. */
export function contextInput(entry: string): string {
  const negated = entry.startsWith('!');
  const path = negated ? entry.slice(1) : entry;
  const input = path.startsWith('{workspaceRoot}/') || path.startsWith('{projectRoot}/') ? path : `{projectRoot}/${normalizeGlob(path)}`;
  return negated ? `!${input}` : input;
}

/**
 * The frontmatter description, else a fixed text. Never taken from the prompt: Nx hashes every
 * target of a project into each of its tasks, so a description following the prompt would make a
 * prompt edit rebuild and retest the whole project.
 */
export function describeBatch(batch: InferredBatch): string {
  return batch.spec!.frontmatter.description?.trim() || `AI batch ${batch.name} (${batch.pathInProject})`;
}

/** How to run a binary of the workspace with its package manager (for metadata.help), as Nx itself decides. */
export function packageManagerExec(workspaceRoot: string): string {
  return getPackageManagerCommand(detectPackageManager(workspaceRoot), workspaceRoot).exec;
}
