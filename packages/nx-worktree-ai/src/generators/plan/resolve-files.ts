import { getProjects, logger, readProjectConfiguration, type Tree } from '@nx/devkit';
import { isAbsolute, posix } from 'node:path';
import { BatchFileError, parseBatchFile } from '../../batch/parse';
import { BATCH_FILE_SUFFIX } from '../../batch/names';
import { splitList } from '../../utils/lists';
import { renderBatchFile } from '../batch/generator';
import { agentDefinitions } from './agent-definition';
import { planMarker } from './marker';
import { ownedFilesAsOutputs, projectHolding, workspacePath } from './owned-files';
import { PlanError, type Plan, type PlannedBatch } from './plan';
import type { NormalizedPlanOptions } from './schema';
import { verifyFilesCommand } from './verify-files';

const WHAT = 'nx-worktree-ai:plan';

/** A batch file the plan makes: where, for which project, and its text. */
export interface FileToWrite {
  batch: PlannedBatch;
  project: string;
  root: string;
  path: string;
  text: string;
}

/** Project, outputs and text of every batch, from the plan and the options' defaults. */
export function resolveFiles(tree: Tree, plan: Plan, planPath: string, options: NormalizedPlanOptions): FileToWrite[] {
  const problems: string[] = [];
  const byName = new Map(plan.batches.map((b) => [b.name, b]));
  const defaultOutputs = splitList(options.outputs);
  const projects = new Map<string, string>();
  const rootOf = (project: string): string | null => {
    if (!projects.has(project)) {
      try {
        projects.set(project, posix.normalize(readProjectConfiguration(tree, project).root || '.').replace(/\/$/, ''));
      } catch {
        return null;
      }
    }
    return projects.get(project)!;
  };

  const definitions = agentDefinitions(tree, plan.batches, options.agent);
  for (const line of definitions.info) logger.info(`${WHAT}: ${planPath}: ${line}`);
  for (const line of definitions.warn) logger.warn(`${WHAT}: ${planPath}: ${line}`);
  // Read once, and only when an agent's owned files must pick its project.
  let roots: Map<string, string> | null = null;
  const allRoots = () => (roots ??= new Map([...getProjects(tree)].map(([name, p]) => [name, posix.normalize(p.root || '.').replace(/\/$/, '')])));

  const resolved: Array<{ batch: PlannedBatch; project: string; root: string; outputs: string[] }> = [];
  for (const batch of plan.batches) {
    const project = batch.project ?? options.project ?? (batch.ownsFiles ? projectHolding(batch.ownsFiles, allRoots(), tree.root) : undefined);
    if (!project) {
      problems.push(`${batch.origin}: no project: add "- project: <name>" to the section (a manifest agent: a "project" key, or owns_files inside one project), or pass --project`);
      continue;
    }
    const root = rootOf(project);
    if (root === null) {
      problems.push(`${batch.origin}: project "${project}" does not exist (see nx show projects)`);
      continue;
    }
    const owned = ownedFilesAsOutputs(batch.ownsFiles ?? [], project, root, tree.root);
    problems.push(...owned.problems.map((p) => `${batch.origin}: ${p}`));
    const given = batch.outputs || batch.ownsFiles ? [...(batch.outputs ?? []), ...owned.outputs] : null;
    const outputs = given ?? defaultOutputs.map((glob) => glob.replace(/\{(name|id|type)\}/g, (_, key: string) => batch.placeholders[key] ?? ''));
    if (owned.problems.length) continue;
    if (!outputs.length) {
      problems.push(`${batch.origin}: no outputs: add "- outputs: <globs>" (a manifest agent: "owns_files" or an "outputs" key), or pass --outputs (e.g. 'src/{name}/**')`);
      continue;
    }
    const verify = verifyOf(batch, tree.root);
    resolved.push({ batch: verify ? { ...batch, verify } : batch, project, root, outputs });
  }
  if (problems.length) throw new PlanError(planPath, problems);

  const projectOf = new Map(resolved.map((r) => [r.batch.name, r.project]));
  const files: FileToWrite[] = [];
  for (const { batch, project, root, outputs } of resolved) {
    const dependsOn = batch.dependsOn.map((ref) => {
      if (ref.includes(':') || !byName.has(ref)) return ref;
      const depProject = projectOf.get(ref)!;
      return depProject === project ? ref : `${depProject}:${ref}`;
    });
    const dir = posix.normalize(options.directory).replace(/\/$/, '');
    const path = root === '.' ? `${dir}/${batch.name}${BATCH_FILE_SUFFIX}` : `${root}/${dir}/${batch.name}${BATCH_FILE_SUFFIX}`;
    const body = renderBatchFile(
      {
        description: batch.description,
        agent: batch.agent ?? options.agent,
        model: batch.model ?? options.model,
        outputs,
        context: plan.format === 'manifest' ? withPlan(batch.context, planPath) : batch.context,
        dependsOn,
        apply: batch.apply,
        timeout: batch.timeout,
        maxTurns: batch.maxTurns,
        maxBudgetUsd: batch.maxBudgetUsd,
        verify: batch.verify,
        verifyTimeout: batch.verifyTimeout,
        attempts: batch.attempts,
        samples: batch.samples,
        samplesAgents: batch.samplesAgents,
        claude: definitions.use.has(batch.name) ? { agent: definitions.use.get(batch.name)! } : undefined,
      },
      batch.prompt,
    );
    const text = body.replace(/^---\n/, `---\n${planMarker(planPath)}\n`);
    try {
      parseBatchFile(path, text, root);
    } catch (e) {
      if (e instanceof BatchFileError) problems.push(...e.problems.map((p) => `${batch.origin} -> ${path}: ${p}`));
      else throw e;
      continue;
    }
    files.push({ batch, project, root, path, text });
  }
  if (problems.length) throw new PlanError(planPath, problems);
  return files;
}


/**
 * A manifest's batches take the plan file as an input: its prose is what their prompts refer to
 * ("per the plan at ..."), so editing it runs them again. A plan outside the workspace cannot be one.
 */
function withPlan(context: string[] | undefined, planPath: string): string[] | undefined {
  if (isAbsolute(planPath)) return context;
  const entry = `{workspaceRoot}/${planPath}`;
  return [...(context ?? []).filter((c) => c !== entry), entry];
}


/** The check of the agent's `verify_files` (paths from the workspace root), unless it has a `verify` of its own. */
function verifyOf(batch: PlannedBatch, workspaceRoot: string): string[] | undefined {
  if (!batch.verifyFiles?.length) return undefined;
  if (batch.verify) {
    logger.warn(`${WHAT}: ${batch.origin}: has a verify of its own; verify_files ${batch.verifyFiles.join(', ')} not added to it`);
    return undefined;
  }
  const files = batch.verifyFiles.map((file) => ({ file, path: workspacePath(file, workspaceRoot) }));
  for (const { file } of files.filter((f) => f.path === null)) logger.warn(`${WHAT}: ${batch.origin}: verify_files "${file}" is outside the workspace, where the agent's worktree cannot check it: not used`);
  const inside = files.flatMap((f) => (f.path === null ? [] : [f.path]));
  return inside.length ? verifyFilesCommand(inside) : undefined;
}
