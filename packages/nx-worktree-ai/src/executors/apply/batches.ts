import type { ExecutorContext, TargetConfiguration } from '@nx/devkit';
import { dependencyOrder } from '../../plugin/order';
import { EXECUTOR } from '../../plugin/paths';

/** A batch target of the project the aggregate depends on. */
export interface ProjectBatch {
  target: string;
  /** The .ai.md file from the workspace root. */
  file: string;
  /** Batch targets of the same project it depends on. */
  after: string[];
}

/**
 * The batch targets `target` of `project` depends on, in dependency order (a batch after the
 * batches of its project it depends on), so that changes stacked on another batch's files apply
 * on top of them.
 */
export function batchesInOrder(context: ExecutorContext, project: string, target: string): ProjectBatch[] {
  const targets = context.projectsConfigurations.projects[project]?.targets ?? {};
  const isBatch = (name: string) => targets[name]?.executor === EXECUTOR && typeof targets[name]?.options?.batch === 'string';
  const sameProject = (config: TargetConfiguration | undefined) =>
    (config?.dependsOn ?? []).flatMap((d) => (typeof d === 'string' ? (d.startsWith('^') ? [] : [d]) : !d.projects && !d.dependencies && d.target ? [d.target] : [])).filter(isBatch);
  const wanted = [...new Set(sameProject(targets[target]))];
  const after = (name: string) => sameProject(targets[name]).filter((d) => wanted.includes(d));
  return dependencyOrder(wanted, after).map((name) => ({ target: name, file: targets[name].options.batch, after: after(name) }));
}
