import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logger, type CreateNodes, type CreateNodesContext, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { analyzeBatches, type BatchAnalysis, type InferredBatch } from './batches';
import { normalizePluginOptions, type AiPluginOptions, type NormalizedAiPluginOptions } from './options';
import { batchTargetName } from './paths';
import { PROJECT_FILES } from './project-root';
import { aggregateTarget, batchTarget, invalidBatchTarget, packageManagerExec, reportTarget } from './targets';

export const BATCH_FILE_GLOB = '**/*.ai.md';

/**
 * Infers, for every `<name>.ai.md` under a project, the target `<targetName>--<name>` and, per
 * project, the aggregate `<targetName>` (nx-worktree-ai:apply, depending on all of them).
 *
 * Nx passes all matching files at once. They are read and checked together (names, dependsOn,
 * cycles, overlapping outputs need the whole set). A file with a problem still gets its target, one
 * that fails when run and prints the problems (file, key, fix): one bad prompt must not take the
 * project graph, and with it every Nx command of the workspace, down.
 */
export const createNodes: CreateNodes<AiPluginOptions> = [
  BATCH_FILE_GLOB,
  async (files, rawOptions, context) => {
    const options = normalizePluginOptions(rawOptions);
    const analysis = analyzeBatches(files, context.workspaceRoot);
    warnOutsideProjects(analysis);
    const results = buildResults(analysis, options, context);
    return files.flatMap((file): Array<[string, CreateNodesResult]> => {
      const result = results.get(toPosix(file));
      return result ? [[file, result]] : [];
    });
  },
];

/** Nx 22 reads `createNodesV2` first, Nx 23/24 `createNodes`: the same tuple under both names. */
export const createNodesV2 = createNodes;

function buildResults(analysis: BatchAnalysis, options: NormalizedAiPluginOptions, context: CreateNodesContext): Map<string, CreateNodesResult> {
  const pmExec = packageManagerExec(context.workspaceRoot);
  const byRoot = new Map<string, InferredBatch[]>();
  for (const b of analysis.batches) byRoot.set(b.root, [...(byRoot.get(b.root) ?? []), b]);

  const results = new Map<string, CreateNodesResult>();
  for (const b of analysis.batches) {
    const siblings = byRoot.get(b.root)!;
    const name = batchTargetName(options.targetName, b.name);
    const problems = analysis.problems.get(b.file);
    const targets: Record<string, TargetConfiguration> = {};
    // The aggregate comes with the project's first batch file only: Nx would concatenate the
    // metadata arrays (technologies) of identical targets inferred from several files.
    targets[name] = problems ? invalidBatchTarget(b, problems) : batchTarget(b, options, pmExec);
    if (siblings[0] === b) targets[options.targetName] = aggregateTarget(b.project, siblings, options);
    // Nx concatenates targetGroups arrays of one project across files: each file adds its own targets.
    const metadata = { targetGroups: { [groupName(options)]: Object.keys(targets) } };
    results.set(b.file, { projects: { [b.root]: { targets, metadata } } });
  }
  // The report target comes with the workspace's first batch file, on the root project
  // (only when the root is a project folder: Nx needs a project.json or package.json there).
  const first = analysis.batches[0];
  if (first && options.reportTargetName !== false && PROJECT_FILES.some((f) => existsSync(join(context.workspaceRoot, f)))) {
    const projects = results.get(first.file)!.projects!;
    projects['.'] = { ...projects['.'], targets: { ...projects['.']?.targets, [options.reportTargetName]: reportTarget(pmExec) } };
  }
  return results;
}

/** The group `nx show project` lists the batch targets under. */
function groupName(options: NormalizedAiPluginOptions): string {
  return `AI batches (${options.targetName})`;
}

/** A batch file outside every project has nowhere to put a target: said once per graph computation, never fatal. */
function warnOutsideProjects(analysis: BatchAnalysis): void {
  const inProjects = new Set(analysis.batches.map((b) => b.file));
  const outside = [...analysis.problems].filter(([file]) => !inProjects.has(file));
  for (const [file, problems] of outside) logger.warn(`nx-worktree-ai: ${file} gets no target: ${problems.join('; ')}`);
}

function toPosix(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}
