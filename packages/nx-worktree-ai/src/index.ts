/**
 * nx-worktree-ai: the Nx plugin entry (nx.json "plugins": ["nx-worktree-ai"]).
 * Nx 23/24 read `createNodes`, Nx 22 reads `createNodesV2` first: both are the same tuple.
 * The executor (nx-worktree-ai:generate) and the generators are also listed in executors.json /
 * generators.json; the executor is not re-exported here so that loading the plugin stays light.
 */
export { createNodes, createNodesV2, BATCH_FILE_GLOB } from './plugin/create-nodes';
export { DEFAULT_TARGET_NAME, type AiPluginOptions } from './plugin/options';
export { artifactDir, batchTargetName, ARTIFACTS_DIR } from './plugin/paths';
export { globsMayOverlap } from './batch/globs';
export { initGenerator } from './generators/init/generator';
export type { InitGeneratorOptions } from './generators/init/schema';
export { batchGenerator } from './generators/batch/generator';
export type { BatchGeneratorOptions } from './generators/batch/schema';
export { planGenerator } from './generators/plan/generator';
export type { PlanGeneratorOptions } from './generators/plan/schema';
export { pruneGenerator } from './generators/prune/generator';
export type { PruneGeneratorOptions } from './generators/prune/schema';
export { parseBatchFile, BatchFileError } from './batch/parse';
export type { BatchSpec, BatchFrontmatter } from './batch/spec';
