/**
 * nx-worktree-ai: the Nx plugin entry (nx.json "plugins": ["nx-worktree-ai"]).
 * Nx 23/24 read `createNodes`, Nx 22 reads `createNodesV2` first: both are the same tuple.
 * The executor (nx-worktree-ai:generate) and the generators are also listed in executors.json /
 * generators.json; the executor is not re-exported here, and the generators and the batch parser
 * below load on first call, so that loading the plugin (which Nx does for every command) stays light:
 * a warm inference (plugin/create-nodes.ts) needs neither yaml nor zod.
 */
import type * as Init from './generators/init/generator';
import type * as Batch from './generators/batch/generator';
import type * as Plan from './generators/plan/generator';
import type * as Prune from './generators/prune/generator';
import type * as Parse from './batch/parse';

export { createNodes, createNodesV2, BATCH_FILE_GLOB } from './plugin/create-nodes';
export type { AiPluginOptions } from './plugin/options';
export { artifactDir, batchTargetName, ARTIFACTS_DIR, DEFAULT_TARGET_NAME } from './plugin/paths';
export { globsMayOverlap } from './batch/globs';
export const initGenerator: typeof Init.initGenerator = (...args) => (require('./generators/init/generator') as typeof Init).initGenerator(...args);
export type { InitGeneratorOptions } from './generators/init/schema';
export const batchGenerator: typeof Batch.batchGenerator = (...args) => (require('./generators/batch/generator') as typeof Batch).batchGenerator(...args);
export type { BatchGeneratorOptions } from './generators/batch/schema';
export const planGenerator: typeof Plan.planGenerator = (...args) => (require('./generators/plan/generator') as typeof Plan).planGenerator(...args);
export type { PlanGeneratorOptions } from './generators/plan/schema';
export const pruneGenerator: typeof Prune.pruneGenerator = (...args) => (require('./generators/prune/generator') as typeof Prune).pruneGenerator(...args);
export type { PruneGeneratorOptions } from './generators/prune/schema';
export { BatchFileError } from './batch/error';
export const parseBatchFile: typeof Parse.parseBatchFile = (...args) => (require('./batch/parse') as typeof Parse).parseBatchFile(...args);
export type { BatchSpec, BatchFrontmatter } from './batch/spec';
