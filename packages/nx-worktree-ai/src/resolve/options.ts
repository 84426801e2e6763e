import * as z from 'zod';
import { ENV_NAME, hiddenCharProblem } from '../batch/names';
import { NODE_MODULES_MODES, SPARSE_MODES, workspacePathSchema as workspacePath } from '../batch/run-settings';
import { AGENT_NAMES, APPLY_MODES, SANDBOX_MODES, checkedString, durationSchema, modelSchema } from '../batch/spec';
const plainText = checkedString(hiddenCharProblem, 'text without control characters');

/**
 * Options of the `nx-worktree-ai:generate` executor. The inferred target sets only `batch`;
 * everything else comes from the batch file, or overrides it for a run (`--model X`).
 * schema.json is generated from this at build time (scripts/build.mjs), so the two cannot drift.
 */
export const generateOptionsSchema = z
  .object({
    batch: workspacePath.describe('Path of the .ai.md batch file, from the workspace root.'),
    invalid: z
      .array(z.string())
      .optional()
      .describe('Set by the plugin when the batch file cannot be used (invalid keys, a dependsOn cycle, overlapping outputs): the problems, printed when the target runs, which then fails.'),
    agent: z.enum(AGENT_NAMES).optional().describe('Overrides the agent of the batch file.'),
    model: modelSchema.optional().describe('Overrides the model of the batch file.'),
    apply: z.enum(APPLY_MODES).optional().describe('Overrides how the result is integrated: working-tree, commit or branch.'),
    timeout: durationSchema.optional().describe('Hard timeout for the agent (e.g. 20m). Default: the batch file, else 30m.'),
    maxTurns: z.number().int().positive().optional().describe('Overrides maxTurns of the batch file.'),
    maxBudgetUsd: z.number().positive().optional().describe('Overrides maxBudgetUsd of the batch file.'),
    agentBin: plainText.optional().describe('Path of the agent CLI executable. Default: node_modules/.bin of the workspace, then PATH.'),
    agentArgs: z.array(z.string()).default([]).describe('Extra arguments appended to the agent command line.'),
    worktreeDir: plainText
      .optional()
      .describe('Where worktrees are created. Default: $TMPDIR/nx-worktree-ai/<workspace-id>. Must be outside the workspace.'),
    keepWorktree: z.boolean().default(false).describe('Keep the worktree after the run (it is always kept on the branch).'),
    nodeModules: z
      .enum(NODE_MODULES_MODES)
      .default('link')
      .describe("How the worktree gets the workspace's node_modules: link (symlink), copy (copy-on-write clone where the filesystem supports it, else a copy) or none. A batch file may set it too: the command line wins over the batch file, the batch file over targetDefaults."),
    setupCommand: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('A command (argv, no shell) run in the worktree before the agent, e.g. ["npm", "ci", "--prefer-offline"]. A failure fails the batch. It runs outside the OS sandbox, so a batch file cannot set it.'),
    sparse: z
      .enum(SPARSE_MODES)
      .default('auto')
      .describe(
        "Check out only the batch's project, the projects it depends on (Nx project graph), its context folders and top-level files: always, never, or auto (when the workspace has 5,000 files or more). A batch file may set it too: the command line wins over the batch file, the batch file over targetDefaults.",
      ),
    copyFiles: z.array(workspacePath).default([]).describe('Ignored files to copy into the worktree, e.g. .env (workspace-relative). A batch file may set it too: the command line wins over the batch file, the batch file over targetDefaults.'),
    resultCache: z.boolean().default(true).describe('Replay a stored result when the prompt, agent settings and inputs are unchanged.'),
    agentConcurrency: z
      .union([z.number().int().positive(), z.partialRecord(z.enum(AGENT_NAMES), z.number().int().positive())])
      .optional()
      .describe(
        'At most this many sessions of an agent at once across all Nx worker processes of the workspace, whatever --parallel says (providers cut off fan-outs). A number applies to every agent; { "claude": 4 } to one.',
      ),
    dryRun: z
      .boolean()
      .default(false)
      .describe(
        'Print what a run would do (agent command, prompt, worktree, outputs guard, result-cache key and hit) without starting the agent, creating a worktree or writing any file. `--dry-run` on the command line.',
      ),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('How often a run that failed rate limited or overloaded is retried (from a clean worktree), with exponential backoff and full jitter. 0: never.'),
    retryDelay: durationSchema
      .default('10s')
      .describe('Base delay of the retry backoff: before retry n the executor waits a random time below retryDelay * 2^(n-1) (at most 5m).'),
    resume: z
      .boolean()
      .default(false)
      .describe("Continue the batch's last session (the sessionId in its result.json), with its last work restored in the worktree; skips the result-cache lookup."),
    secretEnv: z
      .array(z.string().regex(ENV_NAME, 'an environment variable name'))
      .default([])
      .describe(
        'More environment variables whose values are secrets, redacted from transcripts, artifacts, commit messages and output (credential variables and *_KEY/_TOKEN/_SECRET/_PASSWORD are always redacted).',
      ),
    sandbox: z
      .enum(SANDBOX_MODES)
      .optional()
      .describe(
        "Confine the agent by the OS so that it can write only its worktree, its branch and its CLI's own state: auto (default: where bubblewrap works, with one line saying when it does not), required (fail the batch when it cannot be confined) or off. Overrides the batch file's `sandbox`. See SECURITY.md.",
      ),
    integrity: z
      .enum(['fail', 'warn'])
      .default('fail')
      .describe(
        'What a change outside the worktree made during the agent run (workspace files, shared git state, files beside the worktree) does: fail the batch (default) or only warn. See SECURITY.md.',
      ),
  })
  .strict();

export type GenerateOptions = z.output<typeof generateOptionsSchema>;
export type GenerateOptionsInput = z.input<typeof generateOptionsSchema>;
