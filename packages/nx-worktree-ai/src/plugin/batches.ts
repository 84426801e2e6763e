import { posix } from 'node:path';
import { BatchFileError, parseBatchFile } from '../batch/parse';
import { projectNameProblem } from '../batch/names';
import { batchNameFromFile } from '../batch/names';
import type { BatchSpec } from '../batch/spec';
import { globMayCover } from '../batch/globs';
import { checkOverlappingOutputs } from './overlaps';
import { diskFiles, ProjectLocator, toPosix, type WorkspaceFiles } from './project-root';

/** One `.ai.md` file as the plugin sees it. */
export interface InferredBatch {
  /** Path from the workspace root, posix. */
  file: string;
  /** File name without `.ai.md`. */
  name: string;
  /** Project root ('.' for the workspace root). */
  root: string;
  /** Project name (as Nx names the project at `root`). */
  project: string;
  /** Path of the batch file relative to the project root. */
  pathInProject: string;
  /** Undefined when the file could not be read or parsed. */
  spec?: BatchSpec;
  /** The batches named in the frontmatter `dependsOn`, resolved. */
  dependsOn: InferredBatch[];
}

export interface BatchAnalysis {
  /** Every batch file that belongs to a project, valid or not, sorted by file. */
  batches: InferredBatch[];
  /** Problems by file (one line each); the target of a file listed here fails when run, printing them. */
  problems: Map<string, string[]>;
}

/**
 * Reads and parses every batch file of the workspace, then checks what only the whole set can show:
 * unique names per project, `dependsOn` references, cycles, and outputs that two batches Nx may run
 * at the same time could both write.
 */
export function analyzeBatches(files: readonly string[], workspaceRoot: string, workspace: WorkspaceFiles = diskFiles(workspaceRoot)): BatchAnalysis {
  const locator = new ProjectLocator(workspaceRoot, workspace);
  const problems = new Map<string, string[]>();
  const report = (file: string, problem: string) => {
    const list = problems.get(file) ?? [];
    if (!list.includes(problem)) list.push(problem);
    problems.set(file, list);
  };

  const batches: InferredBatch[] = [];
  for (const file of [...new Set(files.map(toPosix))].sort()) {
    const root = locator.rootOf(file);
    if (root === null) {
      report(
        file,
        `not inside a project: no project.json, nor a package.json that Nx makes a project (one in the package manager's workspaces), in "${posix.dirname(file)}" or a folder above it (up to the workspace root); put the batch file under a project's folder`,
      );
      continue;
    }
    const project = locator.nameOf(root);
    const batch: InferredBatch = {
      file,
      name: batchNameFromFile(file),
      root,
      project,
      pathInProject: root === '.' ? file : file.slice(root.length + 1),
      dependsOn: [],
    };
    batches.push(batch);
    const nameProblem = projectNameProblem(project);
    if (nameProblem) {
      report(
        file,
        `project name ${JSON.stringify(project)} (of ${root}) ${nameProblem}; it becomes part of git branch names and folder names, so rename the project (letters, digits, "@", ".", "_", "-", and "/" after an npm scope)`,
      );
      continue;
    }
    try {
      const text = workspace.read(file);
      if (text === null) throw new Error('the file does not exist');
      batch.spec = parseBatchFile(file, text, root);
    } catch (e) {
      if (e instanceof BatchFileError) e.problems.forEach((p) => report(file, p));
      else report(file, `cannot read the file: ${(e as Error).message}`);
      continue;
    }
    checkPaths(batch, (p) => report(file, p));
  }

  checkDuplicateNames(batches, report);
  resolveDependsOn(batches, report);
  checkCycles(batches, report);
  checkOverlappingOutputs(batches, report);
  return { batches, problems };
}

export const ROOT_TOKENS = /\{(projectRoot|workspaceRoot)\}/;

/** Outputs and context must be usable as Nx inputs/outputs, and the outputs must not cover the batch file. */
function checkPaths(batch: InferredBatch, report: (problem: string) => void): void {
  const { outputs, context } = batch.spec!.frontmatter;
  for (const output of outputs) {
    if (output.startsWith('!')) {
      report(`key "outputs": got ${JSON.stringify(output)}; negated globs are not allowed: list only what the batch may write`);
    } else if (ROOT_TOKENS.test(output)) {
      report(`key "outputs": got ${JSON.stringify(output)}; expected a glob relative to the project root, without {projectRoot} or {workspaceRoot}`);
    } else if (globMayCover(output, batch.pathInProject)) {
      report(
        `key "outputs": ${JSON.stringify(output)} covers the batch file itself (${batch.pathInProject}): the agent could rewrite its own prompt and a cache restore would overwrite it; narrow the outputs`,
      );
    }
  }
  for (const entry of context) {
    const path = entry.startsWith('!') ? entry.slice(1) : entry;
    if (path.startsWith('{workspaceRoot}/') || path.startsWith('{projectRoot}/')) continue;
    if (path.startsWith('/') || path.split('/').includes('..') || ROOT_TOKENS.test(path)) {
      report(
        `key "context": got ${JSON.stringify(entry)}; expected a path or glob relative to the project root, or "{workspaceRoot}/<path>" for a file elsewhere in the workspace`,
      );
    }
  }
}

export function label(batch: InferredBatch): string {
  return `${batch.project}:${batch.name}`;
}

function checkDuplicateNames(batches: InferredBatch[], report: (file: string, problem: string) => void): void {
  const byKey = new Map<string, InferredBatch[]>();
  for (const b of batches) {
    const key = `${b.root}\0${b.name}`;
    byKey.set(key, [...(byKey.get(key) ?? []), b]);
  }
  for (const same of byKey.values()) {
    if (same.length < 2) continue;
    for (const b of same) {
      const others = same.filter((o) => o !== b).map((o) => o.file);
      report(
        b.file,
        `batch name "${b.name}" is also used by ${others.join(', ')} in project "${b.project}"; batch names (the file name without .ai.md) must be unique in a project: rename one of the files`,
      );
    }
  }
}

function resolveDependsOn(batches: InferredBatch[], report: (file: string, problem: string) => void): void {
  const byRoot = new Map<string, Map<string, InferredBatch>>();
  const rootByProject = new Map<string, string>();
  for (const b of batches) {
    if (!byRoot.has(b.root)) byRoot.set(b.root, new Map());
    const names = byRoot.get(b.root)!;
    if (!names.has(b.name)) names.set(b.name, b);
    if (!rootByProject.has(b.project)) rootByProject.set(b.project, b.root);
  }
  const namesIn = (root: string) => [...byRoot.get(root)!.keys()].sort().join(', ');

  for (const b of batches) {
    if (!b.spec) continue;
    for (const ref of b.spec.frontmatter.dependsOn) {
      const colon = ref.indexOf(':');
      const project = colon >= 0 ? ref.slice(0, colon) : b.project;
      const name = colon >= 0 ? ref.slice(colon + 1) : ref;
      const root = project === b.project ? b.root : rootByProject.get(project);
      if (root === undefined) {
        const known = [...rootByProject.keys()].sort().join(', ');
        report(b.file, `key "dependsOn": got "${ref}"; no project named "${project}" has batch files (projects with batches: ${known})`);
        continue;
      }
      const dep = byRoot.get(root)!.get(name);
      if (!dep) {
        report(b.file, `key "dependsOn": got "${ref}"; project "${project}" has no batch "${name}" (its batches: ${namesIn(root)})`);
      } else if (!b.dependsOn.includes(dep)) {
        b.dependsOn.push(dep);
      }
    }
  }
}

/** Tarjan's strongly connected components; every component with a cycle is reported to each member. */
function checkCycles(batches: InferredBatch[], report: (file: string, problem: string) => void): void {
  const index = new Map<InferredBatch, number>();
  const low = new Map<InferredBatch, number>();
  const onStack = new Set<InferredBatch>();
  const stack: InferredBatch[] = [];
  let counter = 0;

  const connect = (v: InferredBatch) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of v.dependsOn) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: InferredBatch[] = [];
    let w: InferredBatch;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || v.dependsOn.includes(v)) reportCycle(component, report);
  };
  for (const b of batches) if (!index.has(b)) connect(b);
}

function reportCycle(component: InferredBatch[], report: (file: string, problem: string) => void): void {
  const members = new Set(component);
  const start = [...component].sort((a, b) => label(a).localeCompare(label(b)))[0];
  // Shortest way back to `start` inside the component (breadth-first).
  const previous = new Map<InferredBatch, InferredBatch>();
  const queue = [start];
  let closing: InferredBatch | undefined;
  while (queue.length && !closing) {
    const v = queue.shift()!;
    for (const w of v.dependsOn) {
      if (!members.has(w)) continue;
      if (w === start) {
        closing = v;
        break;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  for (let v = closing!; v !== start; v = previous.get(v)!) path.splice(1, 0, v);
  const cycle = [...path, start].map(label).join(' -> ');
  const files = [...members].map((b) => b.file).sort().join(', ');
  for (const b of component) {
    report(b.file, `key "dependsOn": dependency cycle ${cycle} (files: ${files}); remove one of these dependsOn entries`);
  }
}
