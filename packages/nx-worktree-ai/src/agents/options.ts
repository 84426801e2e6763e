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

export const qwenOptionsSchema = z
  .object({
    approvalMode: z
      .enum(['auto-edit', 'auto', 'yolo', 'default', 'plan'])
      .optional()
      .describe('--approval-mode. Default auto-edit (file edits approved, shell commands not). yolo is opt-in.'),
    allowedTools: z.array(z.string().min(1)).optional().describe('--allowed-tools, e.g. ["run_shell_command(npm test)"].'),
    excludeTools: z.array(z.string().min(1)).optional().describe('--exclude-tools, added to the built-in git deny list.'),
  })
  .strict();

export type QwenOptions = z.output<typeof qwenOptionsSchema>;

export const copilotOptionsSchema = z
  .object({
    allowAllTools: z
      .boolean()
      .optional()
      .describe('--allow-all-tools (default true: copilot -p needs it; paths stay limited to the worktree and the git deny list holds).'),
    allowTools: z.array(z.string().min(1)).optional().describe('--allow-tool, e.g. ["write", "shell(npm test)"] (with allowAllTools: false).'),
    denyTools: z.array(z.string().min(1)).optional().describe('--deny-tool, added to the built-in git deny list.'),
  })
  .strict();

export type CopilotOptions = z.output<typeof copilotOptionsSchema>;
