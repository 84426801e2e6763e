import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createNodesFromFiles, type CreateNodes, type CreateNodesContext, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { BatchFileError } from '../batch/parse';
import { analyzeBatches, type BatchAnalysis, type InferredBatch } from './batches';
import { normalizePluginOptions, type AiPluginOptions, type NormalizedAiPluginOptions } from './options';
import { batchTargetName } from './paths';
import { PROJECT_FILES } from './project-root';
import { aggregateTarget, batchTarget, packageManagerExec, reportTarget } from './targets';

export const BATCH_FILE_GLOB = '**/*.ai.md';

/**
 * Infers, for every `<name>.ai.md` under a project, the target `<targetName>--<name>` and, per
 * project, the aggregate `<targetName>` (nx-worktree-ai:apply, depending on all of them).
 *
 * Nx passes all matching files at once. They are read and checked together first (names, dependsOn,
 * cycles, overlapping outputs need the whole set); then createNodesFromFiles turns the per-file
 * problems into one AggregateCreateNodesError in which every entry names its file. A file with a
 * problem gets no target; the others still do (Nx's partial results). The aggregate target is
 * returned with the first valid batch file of each project.
 */
export const createNodes: CreateNodes<AiPluginOptions> = [
  BATCH_FILE_GLOB,
  async (files, rawOptions, context) => {
    const options = normalizePluginOptions(rawOptions);
    const analysis = analyzeBatches(files, context.workspaceRoot);
    const results = buildResults(analysis, options, context);
    return createNodesFromFiles(
      (file) => {
        const problems = analysis.problems.get(toPosix(file));
        if (problems) throw new BatchFileError(toPosix(file), problems);
        return results.get(toPosix(file)) ?? {};
      },
      files,
      rawOptions ?? {},
      context,
    );
  },
];

/** Nx 22 reads `createNodesV2` first, Nx 23/24 `createNodes`: the same tuple under both names. */
export const createNodesV2 = createNodes;

function buildResults(analysis: BatchAnalysis, options: NormalizedAiPluginOptions, context: CreateNodesContext): Map<string, CreateNodesResult> {
  const pmExec = packageManagerExec(context.workspaceRoot, context.nxJsonConfiguration);
  const valid = analysis.batches.filter((b) => b.spec && !analysis.problems.has(b.file));
  const byRoot = new Map<string, InferredBatch[]>();
  for (const b of valid) byRoot.set(b.root, [...(byRoot.get(b.root) ?? []), b]);

  const results = new Map<string, CreateNodesResult>();
  for (const b of valid) {
    const siblings = byRoot.get(b.root)!;
    const targets: Record<string, TargetConfiguration> = {
      [batchTargetName(options.targetName, b.name)]: batchTarget(b, options, pmExec),
    };
    // The aggregate comes with the project's first batch file only: Nx would concatenate the
    // metadata arrays (technologies) of identical targets inferred from several files.
    if (siblings[0] === b) targets[options.targetName] = aggregateTarget(b.project, siblings, options);
    results.set(b.file, { projects: { [b.root]: { targets } } });
  }
  // The report target comes with the workspace's first valid batch file, on the root project
  // (only when the root is a project folder: Nx needs a project.json or package.json there).
  const first = valid[0];
  if (first && options.reportTargetName !== false && PROJECT_FILES.some((f) => existsSync(join(context.workspaceRoot, f)))) {
    const projects = results.get(first.file)!.projects!;
    projects['.'] = { ...projects['.'], targets: { ...projects['.']?.targets, [options.reportTargetName]: reportTarget(pmExec) } };
  }
  return results;
}

function toPosix(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}
