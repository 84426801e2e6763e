import { formatFiles, logger, readNxJson, updateNxJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { ARTIFACTS_DIR } from '../../plugin/paths';
import { parseOptions } from '../../utils/parse-options';
import { initGeneratorSchema, type InitGeneratorOptions } from './schema';
import { excludePromptsFromNamedInputs } from './named-inputs';

export const PLUGIN_NAME = 'nx-worktree-ai';

/**
 * Registers the plugin in nx.json `plugins` (unless it is there already, as a string or an object,
 * or the workspace opted out of inference plugins), takes batch files out of the named inputs of
 * other targets (named-inputs.ts) and gitignores the artifact folder. Idempotent.
 */
export async function initGenerator(tree: Tree, rawOptions: InitGeneratorOptions = {}): Promise<GeneratorCallback> {
  const options = parseOptions(initGeneratorSchema, rawOptions, 'nx-worktree-ai:init');
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const registered = plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  const inferenceOff = nxJson.useInferencePlugins === false || process.env.NX_ADD_PLUGINS === 'false';

  const register = !registered && !inferenceOff;
  if (register) nxJson.plugins = [...plugins, { plugin: PLUGIN_NAME, options: { targetName: options.targetName } }];
  // Where the plugin is off, nothing of nx.json changes.
  const excluded = inferenceOff ? [] : excludePromptsFromNamedInputs(nxJson);
  if (register || excluded.length) updateNxJson(tree, nxJson);
  addGitignoreEntry(tree, `${ARTIFACTS_DIR}/`);
  if (!options.skipFormat) await formatFiles(tree);

  return () => {
    if (registered) return;
    if (inferenceOff) {
      logger.warn(
        `nx-worktree-ai was not added to nx.json "plugins" because this workspace turned inference plugins off ` +
          `(useInferencePlugins: false or NX_ADD_PLUGINS=false). Batch files get no targets until you add "${PLUGIN_NAME}" to "plugins".`,
      );
      return;
    }
    logger.info(
      `nx-worktree-ai: add a batch with \`nx g ${PLUGIN_NAME}:batch <name> --project <project> --outputs 'src/<folder>/**'\`, ` +
        `then run \`nx run-many -t ${options.targetName}\`.`,
    );
  };
}

/** Appends `entry` to .gitignore unless an equivalent line (with or without leading/trailing slash) is there. */
function addGitignoreEntry(tree: Tree, entry: string): void {
  const bare = entry.replace(/^\/|\/$/g, '');
  const current = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf-8')! : '';
  const present = current.split(/\r?\n/).some((line) => line.trim().replace(/^\/|\/$/g, '') === bare);
  if (present) return;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  tree.write('.gitignore', `${current}${separator}${entry}\n`);
}

export default initGenerator;
