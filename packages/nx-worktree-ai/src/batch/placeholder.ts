import type { BatchSpec } from './spec';

/** The prompt `nx g nx-worktree-ai:batch` writes when none is given: a reminder, not work. */
export const PLACEHOLDER_PROMPT =
  'TODO: describe the work for the agent. It receives this text verbatim and may only write the files matched by `outputs`.\n';

/**
 * Refuses a batch whose prompt is still the generator's placeholder: an agent would spend a
 * session on "TODO" and change nothing. Checked before anything runs (worktree, agent, cache).
 */
export function placeholderPromptProblem(spec: Pick<BatchSpec, 'file' | 'prompt'>): string | null {
  if (spec.prompt.trim() !== PLACEHOLDER_PROMPT.trim()) return null;
  return (
    `${spec.file} still holds the placeholder prompt the batch generator wrote ("${PLACEHOLDER_PROMPT.split('.')[0]}. ..."): ` +
    'replace it with the work for the agent (the text after the frontmatter), then run the batch again'
  );
}
