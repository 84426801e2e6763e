import { statSync } from 'node:fs';
import { detectPackageManager, getPackageManagerCommand, type CreateNodes } from '@nx/devkit';
import type { AiPluginOptions } from './options';
import { externalPackagesKey } from './external-deps';
import { cacheFile, inferenceKey, readCached, writeCached } from './inference-cache';
import { diskFiles, memoFiles, PROJECT_FILES, ProjectLocator, toPosix } from './project-root';
import type * as Infer from './infer';

export const BATCH_FILE_GLOB = '**/*.ai.md';

// The package version, and when this build was written, so that a local rebuild of the same version
// (npm link, a workspace path) does not replay what the older build inferred. (npm gives the files
// of an installed tarball a fixed time: after installing a rebuilt tarball of the same version, run
// `nx reset`.)
const VERSION = `${(require('../../package.json') as { version: string }).version} ${statSync(__filename).mtimeMs}`;

/**
 * Infers, for every `<name>.ai.md` under a project, the target `<targetName>--<name>` and, per
 * project, the aggregate `<targetName>` (`nx-worktree-ai apply`, depending on all of them).
 *
 * Nx passes all matching files at once. They are read and checked together (names, dependsOn,
 * cycles, overlapping outputs need the whole set). A file with a problem still gets its target, one
 * that fails when run and prints the problems (file, key, fix): one bad prompt must not take the
 * project graph, and with it every Nx command of the workspace, down.
 *
 * Nx calls this for every command (without the daemon: in a fresh process each time). The results
 * are kept in Nx's workspace data folder under a hash of everything they depend on (inference-cache.ts);
 * on a hit no file is parsed and the parser and its validation code are not even loaded.
 */
export const createNodes: CreateNodes<AiPluginOptions> = [
  BATCH_FILE_GLOB,
  async (files, rawOptions, context) => {
    const root = context.workspaceRoot;
    const disk = memoFiles(diskFiles(root));
    const locator = new ProjectLocator(root, disk);
    const material: string[] = [];
    for (const file of files.map(toPosix).sort()) {
      const projectRoot = locator.rootOf(file);
      material.push(file, disk.read(file) ?? '\0missing', projectRoot ?? '\0none', projectRoot === null ? '' : locator.nameOf(projectRoot));
    }
    const packageManager = detectPackageManager(root);
    // The report target goes on the root project: where Nx has one, or where asked for by name and the root can be one.
    const askedForReport = typeof rawOptions?.reportTargetName === 'string' && PROJECT_FILES.some((f) => disk.exists(f));
    const rootIsProject = locator.isProjectRoot('.') || askedForReport;
    material.push(externalPackagesKey(root, disk, packageManager));
    const key = inferenceKey({ version: VERSION, options: rawOptions, packageManager, rootIsProject, files: material });
    const file = cacheFile(root, rawOptions);
    const cached = readCached(file, key);
    if (cached) return cached;

    const { inferAll } = require('./infer') as typeof Infer;
    const entries = inferAll(files, rawOptions, {
      root,
      files: disk,
      rootIsProject,
      packageManager,
      pmExec: () => getPackageManagerCommand(packageManager, root).exec,
    });
    writeCached(file, key, entries);
    return entries;
  },
];

/** Nx 22 reads `createNodesV2` first, Nx 23/24 `createNodes`: the same tuple under both names. */
export const createNodesV2 = createNodes;
