import { underProject } from '../../batch/paths';
import { carryOut } from '../../integrate/carry-out';
import { planChange } from '../../integrate/plan';
import { pathProblems } from '../../integrate/replay';
import { parsePatch } from '../../integrate/patch';
import { artifactDir } from '../../plugin/paths';
import type { Redactor } from '../../utils/redact';
import { log as logger } from '../../utils/log';
import { applyPlan } from '../../worktree/apply';
import { withLock } from '../../worktree/lock';
import { lockPath, readRepoInfo } from '../../worktree/repo';
import { commitSubject } from '../../results/commit-subject';
import { readBatch } from '../../resolve/read-batch';
import { ARTIFACTS } from '../../results/result';
import type { ApplyRequest } from './apply-batches';

/**
 * One batch's stored change written into the workspace, when the workspace does not hold it yet:
 * read with the batch file (its outputs and apply mode), under the ownership rule of every
 * integration (integrate/plan.ts). Returns whether it applied (false: the change was refused, an
 * error is printed) and whether the change is now in the workspace.
 */
export async function applyStoredChange(request: ApplyRequest, file: string, patch: string, redact: Redactor): Promise<{ ok: boolean; applied: boolean }> {
  const { root, project, projectRoot, options } = request;
  const log = (line: string) => logger.info(redact(line));
  const spec = readBatch(root, file, projectRoot);
  const label = `${project}:${spec.name}`;
  const apply = options.apply ?? spec.frontmatter.apply;
  if (apply === 'branch') return { ok: true, applied: false };
  const problems = pathProblems({ outputGlobs: spec.frontmatter.outputs.map((g) => underProject(projectRoot, g)) }, parsePatch(patch));
  if (problems.length) {
    logger.error(`[${label}] ${artifactDir(project, spec.name)}/${ARTIFACTS.patch} holds ${problems.join('; ')}. Nothing of it was applied; run the batch again with --skip-nx-cache.`);
    return { ok: false, applied: false };
  }
  const repo = await readRepoInfo(root);
  // The lock, which running batches contend for, is taken only when there is something to write.
  const first = await planChange(repo.root, root, patch, 'replay');
  if (!first.writes.length) {
    for (const path of first.kept) log(`[${label}] kept your version of ${path}`);
    return { ok: true, applied: true };
  }
  await withLock(lockPath(repo), async () => {
    const plan = await planChange(repo.root, root, patch, 'replay');
    await carryOut(repo, plan, {
      label,
      apply,
      subject: commitSubject(label, spec.frontmatter.description, redact, 'applied'),
      log,
      write: (p) => applyPlan(root, p),
    });
    if (plan.writes.length) log(`[${label}] applied ${plan.writes.length} file(s) of the batch's change`);
  });
  return { ok: true, applied: true };
}
