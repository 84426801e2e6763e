import { logger, type Tree } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, posix, relative, resolve } from 'node:path';
import { BATCH_FILE_SUFFIX } from '../../batch/names';
import { parseOptions } from '../../utils/parse-options';
import { analyzeWouldBe, batchFilesIn } from '../would-be';
import { untaggedManifest } from './fences';
import { hasDispatchManifest, parseManifestPlan } from './manifest';
import { planOf } from './marker';
import { parseMarkdownPlan } from './markdown';
import { PlanError, type Plan } from './plan';
import { resolveFiles, type FileToWrite } from './resolve-files';
import { planGeneratorSchema, type NormalizedPlanOptions, type PlanGeneratorOptions } from './schema';

const WHAT = 'nx-worktree-ai:plan';

export { planMarker, planOf } from './marker';

/**
 * `nx g nx-worktree-ai:plan <file>`: turns a plan (markdown sections or a cast-parallel Agent
 * Dispatch Manifest) into batch files `<project root>/<directory>/<name>.ai.md`.
 *
 * Running it again updates the same files (a file remembers its plan in a YAML comment of its
 * frontmatter); batch files of the plan whose section is gone are reported, and deleted only with
 * --deleteRemoved. Before anything is written, the whole workspace's batch files as they would be
 * are checked the way the plugin infers targets (names, dependsOn, cycles, outputs two batches may
 * write at the same time), so a plan that would not run writes nothing and says why.
 */
export async function planGenerator(tree: Tree, rawOptions: PlanGeneratorOptions): Promise<void> {
  const options = parseOptions(planGeneratorSchema, rawOptions, WHAT);
  const { planPath, text } = readPlan(tree, options.file);
  const plan = parsePlan(planPath, text, options);
  for (const line of plan.notes) logger.warn(`${WHAT}: ${planPath}: ${line}`);
  for (const line of plan.info) logger.info(`${WHAT}: ${planPath}: ${line}`);
  const files = resolveFiles(tree, plan, planPath, options);

  // Files this plan wrote before, found by their marker.
  const batchFiles = await batchFilesIn(tree);
  const ours = new Set(batchFiles.filter((f) => planOf(tree.read(f, 'utf-8') ?? '') === planPath));
  placeFiles(tree, files, batchFiles, ours, planPath);

  // What the workspace would hold: check it before writing.
  const written = new Set(files.map((f) => f.path));
  const removed = [...ours].filter((f) => !written.has(f)).sort();
  const deleting = new Set(options.deleteRemoved ? removed : []);
  const analysis = analyzeWouldBe(tree, batchFiles, new Map(files.map((f) => [f.path, f.text])), deleting);
  const ownProblems = [...analysis.problems].filter(([f]) => written.has(f));
  if (ownProblems.length) {
    const origin = new Map(files.map((f) => [f.path, f.batch.origin]));
    const lines = ownProblems.flatMap(([f, problems]) => problems.map((p) => `${origin.get(f)} -> ${f}: ${p}${hint(p)}`));
    throw new PlanError(planPath, [`the batch files would not run; nothing was written:`, ...lines]);
  }
  for (const [f, problems] of analysis.problems) {
    if (!written.has(f)) logger.warn(`${WHAT}: ${f} (not from this plan) has problems: ${problems.join('; ')}`);
  }

  const summary: string[] = [];
  for (const f of files) {
    const before = tree.exists(f.path) ? tree.read(f.path, 'utf-8') : null;
    if (before === f.text) continue;
    tree.write(f.path, f.text);
    summary.push(`${before === null ? 'created' : 'updated'} ${f.path}`);
  }
  for (const f of removed) {
    if (deleting.has(f)) {
      tree.delete(f);
      summary.push(`deleted ${f} (its section is no longer in the plan)`);
    } else {
      logger.warn(`${WHAT}: ${f} was written from ${planPath} but the plan no longer has it: kept (delete it, or run again with --deleteRemoved)`);
    }
  }
  const unchanged = files.length - summary.filter((s) => !s.startsWith('deleted')).length;
  logger.info(
    `${WHAT}: ${plan.format === 'manifest' ? 'manifest' : 'markdown plan'} ${planPath}: ${files.length} batch(es)` +
      `${unchanged ? `, ${unchanged} unchanged` : ''}${removed.length && !options.deleteRemoved ? `, ${removed.length} no longer in the plan (kept)` : ''}`,
  );
}

/** The plan's text and its path from the workspace root (or as given, when outside it). */
function readPlan(tree: Tree, file: string): { planPath: string; text: string } {
  const candidates: string[] = [];
  const normalized = file.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!isAbsolute(file) && tree.exists(normalized)) return { planPath: normalized, text: tree.read(normalized, 'utf-8')! };
  candidates.push(normalized);
  // Relative to the directory nx was started in (Nx runs generators from the workspace root's view).
  const fromCwd = resolve(process.env.INIT_CWD ?? process.cwd(), file);
  const inWorkspace = relative(tree.root, fromCwd).replace(/\\/g, '/');
  if (!inWorkspace.startsWith('..') && !isAbsolute(inWorkspace)) {
    if (tree.exists(inWorkspace)) return { planPath: inWorkspace, text: tree.read(inWorkspace, 'utf-8')! };
    candidates.push(inWorkspace);
  } else if (existsSync(fromCwd)) {
    return { planPath: fromCwd.replace(/\\/g, '/'), text: readFileSync(fromCwd, 'utf8') };
  }
  throw new Error(`${WHAT}: plan file "${file}" not found (looked for ${[...new Set(candidates)].join(', ')} in the workspace)`);
}

function parsePlan(planPath: string, text: string, options: NormalizedPlanOptions): Plan {
  // A ```json block holding a manifest is read as one, so that it fails with the fix rather than becoming a prompt.
  const manifest = options.format === 'manifest' || (options.format === 'auto' && (hasDispatchManifest(text) || untaggedManifest(text) !== null));
  if (planPath.endsWith(BATCH_FILE_SUFFIX)) {
    throw new PlanError(planPath, [`a plan must not be named *${BATCH_FILE_SUFFIX}: the plugin would read it as a batch file; rename it (e.g. plan.md)`]);
  }
  if (!manifest && (options.streams !== undefined || options.split !== undefined)) {
    throw new PlanError(planPath, ['--streams and --split apply to an Agent Dispatch Manifest; a markdown plan says what depends on what with "- depends on:"']);
  }
  const order = { streams: options.streams, split: options.split };
  return manifest ? parseManifestPlan(planPath, text, basename(planPath).replace(/\.[^.]*$/, ''), order) : parseMarkdownPlan(planPath, text);
}

/**
 * A batch keeps the file it was written to before (even if moved inside its project); a path that
 * holds a batch file of someone else, or a batch of the same name elsewhere in the project, is an
 * error: the plan must not overwrite work it does not own.
 */
function placeFiles(tree: Tree, files: FileToWrite[], batchFiles: string[], ours: Set<string>, planPath: string): void {
  const problems: string[] = [];
  const inProject = (root: string, f: string) => root === '.' || f.startsWith(`${root}/`);
  for (const file of files) {
    const fileName = `${file.batch.name}${BATCH_FILE_SUFFIX}`;
    const same = batchFiles.filter((f) => posix.basename(f) === fileName && inProject(file.root, f));
    const mine = same.find((f) => ours.has(f));
    if (mine) {
      file.path = mine;
      continue;
    }
    const other = same[0];
    if (other) {
      const from = planOf(tree.read(other, 'utf-8') ?? '');
      problems.push(
        `${file.batch.origin}: project "${file.project}" already has a batch "${file.batch.name}" (${other}, ${from ? `written from ${from}` : 'not written from a plan'}); ` +
          'rename the section (or give the agent a "name"), or delete that file',
      );
    }
  }
  if (problems.length) throw new PlanError(planPath, problems);
}

/** Advice for the problems a plan typically runs into. */
function hint(problem: string): string {
  if (problem.includes('may write the same files as batch')) {
    return ' (batches of a plan run at the same time unless one depends on the other: give each its own outputs, e.g. --outputs "src/{name}/**" or an "outputs" setting per section/agent, or order them with dependsOn)';
  }
  return '';
}

export default planGenerator;
