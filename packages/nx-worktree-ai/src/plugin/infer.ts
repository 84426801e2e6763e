import { logger, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { analyzeBatches, type BatchAnalysis, type InferredBatch } from './batches';
import { normalizePluginOptions, type AiPluginOptions } from './options';
import { AVAILABLE_AGENTS, getAdapter } from '../agents/registry';
import type { AgentName } from '../agents/names';
import { externalPackages, PLUGIN_PACKAGE } from './external-deps';
import { batchTargetName } from './paths';
import { toPosix, type WorkspaceFiles } from './project-root';
import { aggregateTarget, batchTarget, invalidBatchTarget, reportTarget, type TargetOptions } from './targets';
import type { InferredEntries } from './inference-cache';

/**
 * Reads and checks every batch file, then builds what createNodes returns, in the order of `files`.
 * Loaded only when the inference cache misses: it brings the parser and its validation (yaml, zod).
 */
export function inferAll(
  files: readonly string[],
  rawOptions: AiPluginOptions | undefined,
  workspace: { root: string; files: WorkspaceFiles; rootIsProject: boolean; packageManager: string; pmExec: () => string },
): InferredEntries {
  const options = normalizePluginOptions(rawOptions);
  const analysis = analyzeBatches(files, workspace.root, workspace.files);
  warnOutsideProjects(analysis);
  const known = externalPackages(workspace.root, workspace.files, workspace.packageManager, [PLUGIN_PACKAGE, ...AGENT_PACKAGES]);
  const externals = (agent: AgentName) => [PLUGIN_PACKAGE, getAdapter(agent).npmPackage ?? ''].filter((name) => known.has(name));
  const results = buildResults(analysis, { ...options, externals }, workspace.rootIsProject, workspace.pmExec());
  return files.flatMap((file): InferredEntries => {
    const result = results.get(toPosix(file));
    return result ? [[file, result]] : [];
  });
}

/** The npm packages of the agent CLIs (the plugin's own comes first). */
const AGENT_PACKAGES = AVAILABLE_AGENTS.map((name) => getAdapter(name).npmPackage).filter((p): p is string => !!p);

function buildResults(analysis: BatchAnalysis, options: TargetOptions, rootIsProject: boolean, pmExec: string): Map<string, CreateNodesResult> {
  const byRoot = new Map<string, InferredBatch[]>();
  for (const b of analysis.batches) byRoot.set(b.root, [...(byRoot.get(b.root) ?? []), b]);

  const results = new Map<string, CreateNodesResult>();
  const withProblems = new Set(analysis.batches.filter((b) => analysis.problems.has(b.file)));
  for (const b of analysis.batches) {
    const siblings = byRoot.get(b.root)!;
    const name = batchTargetName(options.targetName, b.name);
    const problems = analysis.problems.get(b.file);
    const targets: Record<string, TargetConfiguration> = {};
    targets[name] = problems ? invalidBatchTarget(b, problems) : batchTarget(b, options, pmExec);
    // The aggregate comes with the project's first batch file only: Nx would concatenate the
    // metadata arrays (technologies) of identical targets inferred from several files.
    if (siblings[0] === b) targets[options.targetName] = aggregateTarget(b.project, siblings, options, withProblems);
    // Nx concatenates targetGroups arrays of one project across files: each file adds its own targets.
    const metadata = { targetGroups: { [`AI batches (${options.targetName})`]: Object.keys(targets) } };
    results.set(b.file, { projects: { [b.root]: { targets, metadata } } });
  }
  // The report target comes with the workspace's first batch file, on the root project
  // (only when the root is a project folder: Nx needs a project.json or package.json there).
  const first = analysis.batches[0];
  if (first && options.reportTargetName !== false && rootIsProject) {
    const projects = results.get(first.file)!.projects!;
    projects['.'] = { ...projects['.'], targets: { ...projects['.']?.targets, [options.reportTargetName]: reportTarget(pmExec) } };
  }
  return results;
}

/** A batch file outside every project has nowhere to put a target: said when inferred, never fatal. */
function warnOutsideProjects(analysis: BatchAnalysis): void {
  const inProjects = new Set(analysis.batches.map((b) => b.file));
  const outside = [...analysis.problems].filter(([file]) => !inProjects.has(file));
  for (const [file, problems] of outside) logger.warn(`nx-worktree-ai: ${file} gets no target: ${problems.join('; ')}`);
}
