export const DEFAULT_TARGET_NAME = 'ai-generate';
export const DEFAULT_REPORT_TARGET_NAME = 'ai-report';

/** The batch executor, as inferred targets name it (kept here, away from @nx/devkit, for the executor's light imports). */
export const EXECUTOR = 'nx-worktree-ai:generate';
export const TECHNOLOGY = 'nx-worktree-ai';

/** Folder (from the workspace root) where runs leave their artifacts; gitignored by the init generator. */
export const ARTIFACTS_DIR = '.nx-worktree-ai';

/** `.nx-worktree-ai/<project>/<batch>`: result.json, transcript.jsonl, changes.patch, prompt.md. */
export function artifactDir(project: string, batch: string): string {
  return `${ARTIFACTS_DIR}/${project}/${batch}`;
}

/** `<targetName>--<batch>`, the inferred target of one batch. */
export function batchTargetName(targetName: string, batch: string): string {
  return `${targetName}--${batch}`;
}
