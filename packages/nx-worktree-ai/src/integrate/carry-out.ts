import { treePathProblem } from '../batch/names';
import type { ApplyMode } from '../batch/spec';
import { commitToHead } from './commit-to-head';
import { symlinkEscape } from '../guard/symlinks';
import { fileSig, recordPluginWrites } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import type { ChangePlan } from './plan';

export interface CarryOutOptions {
  label: string;
  apply: ApplyMode;
  /** Subject of the commit on the current branch (apply: commit). */
  subject: string;
  log: (line: string) => void;
  /** Writes the plan all-or-nothing (journaled during a batch run). */
  write: (plan: ChangePlan) => void;
}

/**
 * Writes an integration plan to the workspace, says which files were left to the user (one line
 * each), and with `apply: commit` commits what was written. Call under the workspace lock.
 */
export async function carryOut(repo: RepoInfo, plan: ChangePlan, options: CarryOutOptions): Promise<void> {
  for (const { path, file } of plan.writes) {
    const problem = treePathProblem(path) ?? (file?.mode === '120000' ? symlinkEscape(path, file.content.toString('utf8')) : null);
    if (problem) throw new Error(`refusing to write ${JSON.stringify(path)} into the workspace: ${problem}`);
  }
  recordPluginWrites(repo, plan.writes.map((w) => ({ kind: 'file' as const, path: w.path, sig: fileSig(w.file) })));
  options.write(plan);
  for (const path of plan.kept) options.log(`[${options.label}] kept your version of ${path}`);
  if (plan.merged.length) options.log(`[${options.label}] merged with your edits made during the run: ${plan.merged.join(', ')}`);
  if (options.apply === 'commit' && plan.writes.length) await commitToHead(repo, plan.writes, options.subject);
}
