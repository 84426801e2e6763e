import type { ExecutorContext, TargetDependencyConfig } from '@nx/devkit';
import { underProject } from '../batch/paths';
import type { BatchSpec } from '../batch/spec';
import { DEFAULT_TARGET_NAME } from '../plugin/options';
import { batchTargetName, EXECUTOR } from '../plugin/paths';
import { readBatch } from './read-batch';

/**
 * The outputs of every batch this one depends on, read from the project configuration (the
 * target's dependsOn, through aggregates and `^ai-generate` over the project graph) and the
 * frontmatter, never from the task graph: how the batch is invoked (`--exclude-task-dependencies`,
 * a single target, run-many) must not change its result-cache key. Their content is part of it.
 */
export function dependencyBatchOutputs(context: ExecutorContext, project: string, spec: BatchSpec): string[] {
  const projects = context.projectsConfigurations.projects;
  const globs = new Set<string>();
  const seen = new Set<string>();
  const visit = (p: string, target: string, self: boolean) => {
    const id = `${p}:${target}`;
    if (seen.has(id)) return;
    seen.add(id);
    const config = projects[p]?.targets?.[target];
    if (!config) return;
    if (!self && config.executor === EXECUTOR && typeof config.options?.batch === 'string') {
      try {
        for (const glob of readBatch(context.root, config.options.batch, projects[p].root).frontmatter.outputs) globs.add(underProject(projects[p].root, glob));
      } catch {
        // a broken dependency batch fails its own task; its outputs simply add nothing here
      }
      return;
    }
    for (const dep of config.dependsOn ?? []) for (const [q, t] of dependencyTargets(context, p, dep)) visit(q, t, false);
  };
  const ownTarget = context.targetName ?? '';
  visit(project, ownTarget, true);
  const targetName = ownTarget.endsWith(`--${spec.name}`) ? ownTarget.slice(0, -`--${spec.name}`.length) : DEFAULT_TARGET_NAME;
  for (const dep of spec.frontmatter.dependsOn) {
    const [p, b] = dep.includes(':') ? dep.split(':') : [project, dep];
    visit(p, batchTargetName(targetName, b), false);
  }
  return [...globs].sort();
}

/** The (project, target) pairs one dependsOn entry names. */
function dependencyTargets(context: ExecutorContext, project: string, dep: string | TargetDependencyConfig): [string, string][] {
  const entry: TargetDependencyConfig = typeof dep === 'string' ? (dep.startsWith('^') ? { target: dep.slice(1), dependencies: true } : { target: dep }) : dep;
  if (!entry.target) return [];
  if (entry.dependencies) return (context.projectGraph?.dependencies?.[project] ?? []).map((d) => [d.target, entry.target] as [string, string]);
  if (entry.projects) {
    const names = Array.isArray(entry.projects) ? entry.projects : [entry.projects];
    return names.filter((n) => context.projectsConfigurations.projects[n]).map((n) => [n, entry.target] as [string, string]);
  }
  return [[project, entry.target]];
}
