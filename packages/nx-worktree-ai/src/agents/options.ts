import { z } from 'zod';

/**
 * Per-agent settings: a batch file may carry one section per agent, named after it
 * (`claude: { permissionMode: bypassPermissions }`). Each adapter reads only its own section.
 * Kept here, apart from the adapters, so the batch schema can compose them without importing
 * adapter code.
 */
export const claudeOptionsSchema = z
  .object({
    permissionMode: z
      .enum(['acceptEdits', 'bypassPermissions', 'default', 'plan'])
      .optional()
      .describe('--permission-mode. Default acceptEdits (edits inside the worktree). bypassPermissions is opt-in and warned about.'),
    allowedTools: z.array(z.string().min(1)).optional().describe('--allowedTools, e.g. ["Bash(npm test:*)"].'),
    disallowedTools: z.array(z.string().min(1)).optional().describe('--disallowedTools, added to the built-in deny list (git push, history rewrites).'),
    appendSystemPrompt: z.string().min(1).optional().describe('--append-system-prompt.'),
  })
  .strict();

export type ClaudeOptions = z.output<typeof claudeOptionsSchema>;
