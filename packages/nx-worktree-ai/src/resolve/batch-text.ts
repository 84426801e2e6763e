import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A batch file's text (its path from the workspace root), or an error naming the file. Without yaml or zod, for the apply command's quick path. */
export function readBatchText(root: string, file: string): string {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    throw new Error(`Batch file ${file} not found (option "batch" is a path from the workspace root).`);
  }
}
