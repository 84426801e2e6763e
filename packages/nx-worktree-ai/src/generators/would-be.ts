import { globAsync, type Tree } from '@nx/devkit';
import { BATCH_FILE_SUFFIX } from '../batch/names';
import { analyzeBatches, type BatchAnalysis } from '../plugin/batches';
import type { WorkspaceFiles } from '../plugin/project-root';

/** The batch files of the workspace in a generator's tree (every one that exists). */
export async function batchFilesIn(tree: Tree): Promise<string[]> {
  return (await globAsync(tree, [`**/*${BATCH_FILE_SUFFIX}`])).filter((f) => tree.exists(f));
}

/**
 * The workspace's batch files as they would be after a generator wrote `pending` and deleted
 * `deleting`, checked the way the plugin infers targets (names, dependsOn, cycles, outputs two
 * batches may write at the same time), before anything is written.
 */
export function analyzeWouldBe(tree: Tree, existing: string[], pending: Map<string, string>, deleting: ReadonlySet<string> = new Set()): BatchAnalysis {
  const view: WorkspaceFiles = {
    exists: (p) => pending.has(p) || (!deleting.has(p) && tree.exists(p)),
    read: (p) => pending.get(p) ?? (deleting.has(p) || !tree.exists(p) ? null : tree.read(p, 'utf-8')),
  };
  const all = [...new Set([...existing.filter((f) => !deleting.has(f)), ...pending.keys()])];
  return analyzeBatches(all, tree.root, view);
}
