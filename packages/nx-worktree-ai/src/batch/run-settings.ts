import * as z from 'zod';
import { checkedString } from './checked';
import { relativePathProblem } from './names';

export const SPARSE_MODES = ['auto', 'always', 'never'] as const;
export const NODE_MODULES_MODES = ['link', 'copy', 'none'] as const;

/** A path from the workspace root that stays inside it. */
export const workspacePathSchema = checkedString(relativePathProblem, 'a path relative to the workspace root, without ".." or a leading "/" or "-"');

/**
 * Settings of the run that belong to a batch as much as to a workspace: a batch file may set them,
 * and so may the executor options of the same name (resolve/batch-settings.ts says which wins).
 * Not setupCommand: it runs outside the OS sandbox, so only the workspace's configuration may set it.
 */
export const batchRunSettings = {
  sparse: z.enum(SPARSE_MODES).optional(),
  nodeModules: z.enum(NODE_MODULES_MODES).optional(),
  copyFiles: z.array(workspacePathSchema).optional(),
};

export type BatchRunSetting = keyof typeof batchRunSettings;
export const BATCH_RUN_SETTINGS = Object.keys(batchRunSettings) as BatchRunSetting[];
