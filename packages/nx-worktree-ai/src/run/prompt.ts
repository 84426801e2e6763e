import type { BatchRun } from '../resolve/resolve';

/**
 * The prompt sent to the agent: a short preamble stating where it works and what it may write,
 * then the batch's prompt verbatim.
 */
export function renderPrompt(run: BatchRun): string {
  const outputs = run.outputGlobs.map((glob) => `- ${glob}`).join('\n');
  const preamble = [
    `You are working on the batch "${run.spec.name}" of project "${run.project}" in a git worktree of this repository (your current directory is its root).`,
    `Create or change only files matching these paths (anything else fails the batch):`,
    outputs,
    `Do not commit, push or change git state: your changes are collected from the working tree.`,
  ].join('\n');
  return `${preamble}\n\n---\n\n${run.spec.prompt}`;
}
