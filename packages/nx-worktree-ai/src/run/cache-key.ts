import { createHash } from 'node:crypto';
import { globMatcher } from '../batch/paths';
import type { TreeFiles } from '../worktree/tree';
import type { BatchRun } from '../resolve/resolve';

/** Bump when the meaning of a stored result changes, so old entries stop matching. */
const KEY_VERSION = 1;

/**
 * Key of the result cache: the prompt as sent, the agent settings, and the content (blob ids) of
 * the declared inputs in the snapshot. Never the batch's own outputs, or a replay would change its
 * own key; never Nx's project configuration, which changes whenever a sibling batch is added.
 */
export function resultCacheKey(run: BatchRun, prompt: string, agentArgs: string[], snapshotFiles: TreeFiles): string {
  const isInput = globMatcher(run.inputGlobs);
  const isOutput = globMatcher(run.outputGlobs);
  const inputs: string[] = [];
  for (const [path, entry] of snapshotFiles) {
    if (isInput(path) && !isOutput(path)) inputs.push(`${entry.mode} ${entry.oid} ${path}`);
  }
  inputs.sort();
  const material = {
    v: KEY_VERSION,
    agent: run.agent,
    model: run.model,
    maxTurns: run.maxTurns,
    maxBudgetUsd: run.maxBudgetUsd,
    command: run.spec.frontmatter.command ?? null,
    // The batch's section for its agent (claude: { permissionMode }, copilot: { allowTools }, ...).
    agentOptions: (run.spec.frontmatter as Record<string, unknown>)[run.agent] ?? null,
    agentArgs,
    outputs: run.outputGlobs,
    prompt,
    inputs,
    // Only work that passed the check is stored: another check must ask the agent again. Its
    // timeout and attempts are left out: they decide whether a result is found, not what it is.
    // Batches without verify keep the key they had.
    ...(run.verify ? { verify: run.verify.argv } : {}),
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 40);
}
