import type { ExecutorContext } from '@nx/devkit';
import { assertValid, projectNameProblem, relativePathProblem } from '../batch/names';
import { parseDuration } from '../batch/duration';
import { contextGlob, underProject } from '../batch/paths';
import type { AgentName, ApplyMode, BatchSpec, SandboxMode } from '../batch/spec';
import { artifactDir } from '../plugin/paths';
import type { GenerateOptions } from './options';
import { dependencyBatchOutputs } from './dependency-outputs';
import { readBatch } from './read-batch';
import { resolveSamples, resolveVerify, type VerifySettings } from './verify';

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;

/** Everything one run of one batch needs, resolved from the batch file, the options and Nx's context. */
export interface BatchRun {
  project: string;
  /** `project:batch`, the prefix of every progress line. */
  label: string;
  spec: BatchSpec;
  agent: AgentName;
  model: string | null;
  maxTurns: number | null;
  maxBudgetUsd: number | null;
  timeoutMs: number;
  apply: ApplyMode;
  /** Whether the agent runs confined by the OS (sandbox/). */
  sandbox: SandboxMode;
  /** The check the work must pass before it is integrated (`verify`), null without one. */
  verify: VerifySettings | null;
  /** The agent of each sample (`samples`, `samplesAgents`): one entry when the batch runs once. */
  samples: AgentName[];
  /** Workspace-relative globs the batch may write. */
  outputGlobs: string[];
  /** Workspace-relative globs whose content is part of the result-cache key. */
  inputGlobs: string[];
  /** `.nx-worktree-ai/<project>/<batch>` */
  artifactDir: string;
  /** Folders a sparse worktree checks out (project, its dependency closure, context folders); null for the root project. */
  sparseCone: string[] | null;
}

export function resolveBatchRun(options: GenerateOptions, context: ExecutorContext): BatchRun {
  const project = context.projectName;
  if (!project) throw new Error('nx-worktree-ai:generate must run as a task of a project (nx run <project>:<target>).');
  // Names become branch names, ref names and folder names: refuse anything that could escape or inject.
  assertValid('project name', project, projectNameProblem(project));
  assertValid('option "batch"', options.batch, relativePathProblem(options.batch));
  const projectRoot = context.projectsConfigurations.projects[project]?.root ?? '.';
  const spec = readBatch(context.root, options.batch, projectRoot);
  const fm = spec.frontmatter;
  const outputGlobs = fm.outputs.map((glob) => underProject(projectRoot, glob));
  const dependencyOutputs = dependencyBatchOutputs(context, project, spec);
  return {
    project,
    label: `${project}:${spec.name}`,
    spec,
    agent: options.agent ?? fm.agent,
    model: options.model ?? fm.model ?? null,
    maxTurns: options.maxTurns ?? fm.maxTurns ?? null,
    maxBudgetUsd: options.maxBudgetUsd ?? fm.maxBudgetUsd ?? null,
    timeoutMs: parseDuration(options.timeout ?? fm.timeout ?? DEFAULT_TIMEOUT_MS),
    apply: options.apply ?? fm.apply,
    sandbox: options.sandbox ?? fm.sandbox ?? 'auto',
    verify: resolveVerify(spec),
    samples: resolveSamples(spec, options.agent ?? fm.agent),
    outputGlobs,
    inputGlobs: [spec.file, ...fm.context.map((entry) => contextGlob(projectRoot, entry)), ...dependencyOutputs],
    artifactDir: artifactDir(project, spec.name),
    sparseCone: projectRoot === '.' ? null : sparseCone(context, project, spec),
  };
}

/**
 * What a batch needs checked out: its project and every project it depends on in Nx's project
 * graph (transitively), the projects of batches it names in dependsOn, and the folders of its
 * `context` entries. Top-level files (root config) are always part of a sparse checkout.
 */
function sparseCone(context: ExecutorContext, project: string, spec: BatchSpec): string[] {
  const projects = context.projectsConfigurations.projects;
  const closure = new Set<string>([project]);
  const queue = [project, ...spec.frontmatter.dependsOn.filter((d) => d.includes(':')).map((d) => d.split(':')[0])];
  while (queue.length) {
    const name = queue.pop()!;
    if (!projects[name]) continue;
    closure.add(name);
    for (const dep of context.projectGraph?.dependencies?.[name] ?? []) if (!closure.has(dep.target)) queue.push(dep.target);
  }
  const folders = [...closure].filter((name) => projects[name]).map((name) => projects[name].root);
  for (const entry of spec.frontmatter.context) folders.push(staticFolder(contextGlob(projects[project].root, entry)));
  const cone = [...new Set(folders.filter((f) => f && f !== '.'))].sort();
  // A folder inside another adds nothing.
  return cone.filter((f) => !cone.some((other) => other !== f && f.startsWith(`${other}/`)));
}

/** The folder part of a glob before its first wildcard ('docs/api.md' -> 'docs', 'src/**' -> 'src'). */
function staticFolder(glob: string): string {
  const segments = glob.split('/');
  const firstWild = segments.findIndex((s) => /[*?[\]{}()!]/.test(s));
  const literal = firstWild === -1 ? segments.slice(0, -1) : segments.slice(0, firstWild);
  return literal.join('/');
}
