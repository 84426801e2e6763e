import { join } from 'node:path';
import { unsupportedLimits } from './argv';
import { contentHash, geminiFilesDir, writeOnce } from './gemini-files';
import { geminiRunSettings, prepareGeminiHome } from './gemini-home';
import { findGeminiSessionFile, geminiUserHome } from './gemini-session';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { GeminiOptions } from './options';
import type { AgentInvocation, AgentRunRequest } from './types';

/** The policy file passed with --policy: the shared git deny list as gemini policy rules. */
export const GEMINI_GIT_DENY_POLICY = [
  '# nx-worktree-ai: git commands no agent may run in a batch worktree (agents/git-deny.ts).',
  '[[rule]]',
  'toolName = "run_shell_command"',
  `commandPrefix = [${DENIED_GIT_COMMANDS.map((c) => JSON.stringify(c)).join(', ')}]`,
  'decision = "deny"',
  'priority = 999',
  'denyMessage = "nx-worktree-ai: this git command is not allowed in a batch worktree (it shares refs, config and remotes with the repository); the executor commits the work itself"',
  '',
].join('\n');

/** The files one gemini run needs, found or written by prepareGeminiRun. */
export interface GeminiRunFiles {
  /** GEMINI_GIT_DENY_POLICY, written once. */
  policyFile: string;
  /** The recorded file of the session to resume, when it was found (else gemini gets `-r <id>`). */
  sessionFile: string | null;
  /** The settings overlay home (GEMINI_CLI_HOME), when the run has settings of its own. */
  home: string | null;
}

/**
 * `gemini -o stream-json --approval-mode auto_edit --skip-trust --policy <git deny rules> [--sandbox] [-m MODEL]
 * [--session-file FILE | -r SESSION] <agentArgs>`, the prompt on stdin (stdin that is not a terminal makes gemini headless,
 * like -p, without -p's argv size limit; it is taken verbatim). auto_edit approves edit tools only
 * (headless gemini then offers no shell tool); --skip-trust, or gemini forces the default approval
 * mode in a folder it does not trust yet (a fresh worktree). gemini has no turn-limit flag: maxTurns
 * becomes settings.json `model.maxSessionTurns` in the settings overlay `files.home`. Pure: the files
 * are prepareGeminiRun's.
 */
export function geminiInvocation(request: AgentRunRequest, files: GeminiRunFiles): AgentInvocation {
  const options = request.options as GeminiOptions;
  const approvalMode = options.approvalMode ?? 'auto_edit';
  const args = ['-o', 'stream-json', '--approval-mode', approvalMode, '--skip-trust', '--policy', files.policyFile];
  if (options.sandbox) args.push('--sandbox');
  if (request.model) args.push('-m', request.model);
  // -r only finds sessions of the current folder, and every run gets a fresh worktree folder:
  // the session's own file is loaded instead when it was found (gemini then continues it under a new id).
  if (request.resumeSessionId) args.push(...(files.sessionFile ? ['--session-file', files.sessionFile] : ['-r', request.resumeSessionId]));
  args.push(...request.extraArgs);
  const warnings = unsupportedLimits('gemini', request, { maxTurns: true, maxBudgetUsd: false });
  if (approvalMode === 'yolo') warnings.push('gemini approves every tool call (yolo), shell commands included; only the git deny list still holds');
  return { bin: 'gemini', args, env: files.home ? { GEMINI_CLI_HOME: files.home } : {}, stdin: request.prompt, warnings };
}

/**
 * Writes the policy file and, when the run has settings, the home overlay (both shared by the runs
 * that need the same ones), and finds the session file to resume. `env` is where gemini's user home
 * is read from (GEMINI_CLI_HOME).
 */
export function prepareGeminiRun(request: AgentRunRequest, env: NodeJS.ProcessEnv): GeminiRunFiles {
  const filesDir = geminiFilesDir(request);
  const policyFile = writeOnce(join(filesDir, `git-deny-${contentHash(GEMINI_GIT_DENY_POLICY)}.toml`), GEMINI_GIT_DENY_POLICY);
  const userHome = geminiUserHome(env);
  const sessionFile = request.resumeSessionId ? findGeminiSessionFile(userHome, request.resumeSessionId) : null;
  const settings = geminiRunSettings(request);
  return { policyFile, sessionFile, home: settings ? prepareGeminiHome(filesDir, userHome, settings) : null };
}

/** The adapter's invocation: the run's files prepared, then the pure command line. */
export function buildGeminiInvocation(request: AgentRunRequest, env: NodeJS.ProcessEnv = process.env): AgentInvocation {
  return geminiInvocation(request, prepareGeminiRun(request, env));
}
