import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBatchFile } from '../batch/parse';
import type { BatchSpec } from '../batch/spec';

/**
 * A batch file (from the workspace root) read and checked. Apart from resolve.ts, so that
 * `nx-worktree-ai apply` reads batches without loading @nx/devkit.
 */
export function readBatch(root: string, file: string, projectRoot: string): BatchSpec {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch {
    throw new Error(`Batch file ${file} not found (option "batch" is a path from the workspace root).`);
  }
  return parseBatchFile(file.split('\\').join('/'), text, projectRoot);
}
