import type { NxJsonConfiguration } from '@nx/devkit';

/** Batch files are the plugin's inputs only: no other target of a project reads them. */
export const PROMPT_EXCLUSION = '!{projectRoot}/**/*.ai.md';

/** What Nx uses as `default` when nx.json does not define it. */
const NX_DEFAULT_INPUT = '{projectRoot}/**/*';

/**
 * Takes the batch files out of the named inputs other targets hash (`default`, and `production`
 * where the workspace defines it), so that editing a prompt leaves build, test and lint of its
 * project and of the projects depending on it cache hits. The batch targets list their inputs
 * themselves (the batch file first) and do not use named inputs. Returns the names it changed.
 */
export function excludePromptsFromNamedInputs(nxJson: NxJsonConfiguration): string[] {
  const named = { ...nxJson.namedInputs };
  const changed: string[] = [];
  if (named.default === undefined) {
    named.default = [NX_DEFAULT_INPUT, PROMPT_EXCLUSION];
    changed.push('default');
  }
  for (const name of ['default', 'production']) {
    const list = named[name];
    if (!Array.isArray(list) || list.includes(PROMPT_EXCLUSION)) continue;
    named[name] = [...list, PROMPT_EXCLUSION];
    changed.push(name);
  }
  if (changed.length) nxJson.namedInputs = named;
  return changed;
}
