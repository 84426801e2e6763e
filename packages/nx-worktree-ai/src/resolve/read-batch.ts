import { parseBatchFile } from '../batch/parse';
import type { BatchSpec } from '../batch/spec';
import { readBatchText } from './batch-text';

/**
 * A batch file (from the workspace root) read and checked. Apart from resolve.ts, so that
 * `nx-worktree-ai apply` reads batches without loading @nx/devkit.
 */
export function readBatch(root: string, file: string, projectRoot: string): BatchSpec {
  return parseBatchFile(file.split('\\').join('/'), readBatchText(root, file), projectRoot);
}
