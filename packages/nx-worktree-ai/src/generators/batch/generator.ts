import { logger, readProjectConfiguration, type ProjectConfiguration, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { Document, visit } from 'yaml';
import { BatchFileError, parseBatchFile } from '../../batch/parse';
import { BATCH_FILE_SUFFIX } from '../../batch/names';
import { splitList } from '../../utils/lists';
import { parseOptions } from '../../utils/parse-options';
import { analyzeWouldBe, batchFilesIn } from '../would-be';
import { BATCH_NAME_PATTERN, batchGeneratorSchema, type BatchGeneratorOptions } from './schema';

/**
 * Writes `<project root>/ai/<name>.ai.md`: frontmatter from the options, then the prompt. The text
 * is checked with the same parser the plugin uses before it is written.
 */
export async function batchGenerator(tree: Tree, rawOptions: BatchGeneratorOptions): Promise<void> {
  const options = parseOptions(batchGeneratorSchema, rawOptions, 'nx-worktree-ai:batch');
  const name = options.name.endsWith(BATCH_FILE_SUFFIX) ? options.name.slice(0, -BATCH_FILE_SUFFIX.length) : options.name;
  if (!BATCH_NAME_PATTERN.test(name)) {
    throw new Error(`nx-worktree-ai:batch: invalid name "${options.name}": use a letter or digit first, then letters, digits, ".", "_" or "-"`);
  }

  let project: ProjectConfiguration;
  try {
    project = readProjectConfiguration(tree, options.project);
  } catch {
    throw new Error(
      `nx-worktree-ai:batch: project "${options.project}" does not exist (a batch needs a project with a project.json or package.json; see \`nx show projects\`)`,
    );
  }
  const root = posix.normalize(project.root || '.').replace(/\/$/, '');
  const file = root === '.' ? `ai/${name}${BATCH_FILE_SUFFIX}` : `${root}/ai/${name}${BATCH_FILE_SUFFIX}`;
  if (tree.exists(file)) throw new Error(`nx-worktree-ai:batch: ${file} already exists; edit it, or choose another name`);
  const clash = findBatchFile(tree, root, `${name}${BATCH_FILE_SUFFIX}`);
  if (clash) {
    throw new Error(`nx-worktree-ai:batch: project "${options.project}" already has a batch "${name}" (${clash}); batch names must be unique in a project`);
  }

  const outputs = splitList(options.outputs);
  if (!outputs.length) throw new Error('nx-worktree-ai:batch: --outputs needs at least one glob, e.g. --outputs "src/auth/**"');
  const text = renderBatchFile(
    {
      description: options.description,
      agent: options.agent,
      model: options.model,
      outputs,
      context: splitList(options.context),
      dependsOn: splitList(options.dependsOn),
      apply: options.apply,
      allowEmpty: options.allowEmpty || undefined,
    },
    options.prompt,
  );
  try {
    parseBatchFile(file, text, root);
  } catch (e) {
    if (e instanceof BatchFileError) throw new Error(`nx-worktree-ai:batch: the options do not make a valid batch file:\n${e.message}`);
    throw e;
  }
  await refuseIfItWouldNotRun(tree, file, text);
  tree.write(file, text);
}

/**
 * The new file must not make the workspace's batches unusable (every Nx command would stop on it):
 * outputs that a batch running at the same time may also write, a dependsOn cycle. A dependsOn on
 * a batch that does not exist yet only warns: it is usually the next one the user creates.
 */
async function refuseIfItWouldNotRun(tree: Tree, file: string, text: string): Promise<void> {
  const analysis = analyzeWouldBe(tree, await batchFilesIn(tree), new Map([[file, text]]));
  const problems = analysis.problems.get(file) ?? [];
  const missingDependency = (p: string) => p.startsWith('key "dependsOn": got ');
  for (const p of problems.filter(missingDependency)) {
    logger.warn(`nx-worktree-ai:batch: ${file}: ${p}; Nx refuses the workspace's batches until it exists: create it next`);
  }
  const refused = problems.filter((p) => !missingDependency(p));
  if (refused.length) {
    throw new Error(`nx-worktree-ai:batch: ${file} was not written: the workspace's batches would not run with it:\n${refused.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Frontmatter (only the keys that have a value; lists in flow style) and the prompt. */
export function renderBatchFile(frontmatter: Record<string, string | number | boolean | string[] | Record<string, string> | undefined>, prompt: string): string {
  const data = Object.fromEntries(Object.entries(frontmatter).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  const doc = new Document(data);
  visit(doc, {
    Seq(_, node) {
      node.flow = true;
    },
  });
  const yaml = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  const body = prompt.endsWith('\n') ? prompt : `${prompt}\n`;
  return `---\n${yaml}---\n${body}`;
}

/** A file named `fileName` under the project root, not inside nested projects, node_modules or dot-folders. */
function findBatchFile(tree: Tree, root: string, fileName: string): string | undefined {
  const walk = (dir: string, top: boolean): string | undefined => {
    if (!top && (tree.exists(posix.join(dir, 'project.json')) || tree.exists(posix.join(dir, 'package.json')))) return undefined;
    for (const child of tree.children(dir)) {
      if (child === 'node_modules' || child.startsWith('.')) continue;
      const path = dir === '.' ? child : `${dir}/${child}`;
      if (tree.isFile(path)) {
        if (child === fileName) return path;
      } else {
        const found = walk(path, false);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(root, true);
}

export default batchGenerator;
