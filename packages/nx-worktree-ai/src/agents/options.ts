import * as z from 'zod';

/**
 * Per-agent settings: a batch file may carry one section per agent, named after it
 * (`claude: { permissionMode: bypassPermissions }`). Each adapter reads only its own section.
 * Kept here, apart from the adapters, so the batch schema can compose them without importing
 * adapter code.
 */
/** An agent name claude's --agent takes: as the file name of `.claude/agents/<name>.md`, never option-like. */
export const CLAUDE_AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Where Claude Code finds a project's agent definition (relative to its cwd, the worktree root). */
export const claudeAgentFile = (name: string): string => `.claude/agents/${name}.md`;

export const claudeOptionsSchema = z
  .object({
    agent: z
      .string()
      .regex(CLAUDE_AGENT_NAME, 'an agent name: letters, digits, ".", "_" and "-", starting with a letter or digit')
      .optional()
      .describe('--agent: run as this agent definition (.claude/agents/<name>.md in the workspace, or ~/.claude/agents/): its tools, model and instructions.'),
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

/** A value codex can take as `-c key=value`: anything TOML can write (no null). */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };
const tomlValueSchema: z.ZodType<TomlValue> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.array(tomlValueSchema), z.record(z.string(), tomlValueSchema)]),
);

export const codexOptionsSchema = z
  .object({
    sandbox: z
      .enum(['workspace-write', 'read-only', 'danger-full-access'])
      .optional()
      .describe('-s. Default workspace-write (codex exec defaults to read-only, where writes fail and it still exits 0). danger-full-access is opt-in and warned about.'),
    profile: z.string().min(1).optional().describe('--profile: layer $CODEX_HOME/<name>.config.toml over the user config.'),
    config: z
      .record(
        z.string().regex(/^[^=\s-][^=\s]*$/, 'a config key such as model_reasoning_effort or model_providers.local (no "=" or spaces)'),
        tomlValueSchema,
      )
      .optional()
      .describe(
        '-c key=value overrides, one per entry, values written as TOML (a map becomes an inline table), e.g. ' +
          '{ model_provider: local, model_providers.local: { name: local, base_url: "http://127.0.0.1:8080/v1", env_key: LOCAL_KEY, wire_api: responses } }.',
      ),
  })
  .strict();

export type CodexOptions = z.output<typeof codexOptionsSchema>;

export const geminiOptionsSchema = z
  .object({
    approvalMode: z
      .enum(['auto_edit', 'default', 'yolo', 'plan'])
      .optional()
      .describe('--approval-mode. Default auto_edit (edit tools approved; headless gemini offers no shell tool then). yolo is opt-in and warned about.'),
    sandbox: z.boolean().optional().describe('-s: run tools in gemini\'s sandbox (docker/podman/sandbox-exec must be available).'),
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'settings.json entries for this batch, nested as in settings.json (e.g. { model: { compressionThreshold: 0.5 } }), ' +
          'merged over a copy of ~/.gemini/settings.json (maxTurns becomes model.maxSessionTurns the same way; ~/.gemini is never written).',
      ),
  })
  .strict();

export type GeminiOptions = z.output<typeof geminiOptionsSchema>;
