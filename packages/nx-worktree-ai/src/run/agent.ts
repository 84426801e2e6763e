import { failFast } from '../agents/fail-fast';
import { mergeEnv, runAgentProcess } from '../agents/process';
import { createProgress } from '../agents/progress';
import { getAdapter } from '../agents/registry';
import type { AgentEvent, AgentFailure, AgentResult } from '../agents/types';
import type { AgentName } from '../agents/names';
import { confineCommand, confinementFor, type Confinement, type SandboxChoice } from '../sandbox';
import { noRedaction } from '../utils/redact';
import type { RepoInfo } from '../worktree/repo';
import type { TreeFiles } from '../worktree/tree';
import type { Worktree } from '../worktree/worktree';
import { agentRunRequest } from './invocation';
import type { GenerateOptions } from '../resolve/options';
import type { BatchRun } from '../resolve/resolve';
import type { LastSession } from './resume';
import type { RunContext } from './state';

export interface AgentRunInput {
  bin: string;
  worktree: Worktree;
  prompt: string;
  promptFile: string;
  transcript: string[];
  /** The stderr tail of each attempt (refused writes are found there too). */
  stderr: string[];
  /** resume: the session and work to continue. */
  last: LastSession | null;
  snapshot: string;
  snapshotFiles: TreeFiles;
  repo: RepoInfo;
  sandbox: SandboxChoice;
  branch: string;
  onStart?(pid: number): void;
  /** Stops the agent (a sample another sample beat). */
  stop?: AbortSignal;
}

/** One attempt: the agent CLI started in the worktree (confined when the batch has a sandbox), its stream parsed as it comes. */
export async function runAgent(
  run: BatchRun,
  options: GenerateOptions,
  ctx: RunContext,
  input: AgentRunInput,
  attempt: number,
): Promise<{ agentResult: AgentResult | null; failure: AgentFailure | null; countedTurns: number }> {
  const adapter = getAdapter(run.agent);
  const invocation = adapter.buildInvocation(
    agentRunRequest(run, options, { prompt: input.prompt, promptFile: input.promptFile, cwd: input.worktree.dir, resumeSessionId: input.last?.sessionId ?? null }),
  );
  if (attempt === 1) for (const warning of invocation.warnings ?? []) ctx.log(`[${run.label}] warning: ${warning}`);
  const parse = adapter.createParser(input.worktree.dir);
  const progress = createProgress(run.label);
  // Stops the agent on a failure its stream makes certain (rejected credentials, a dead endpoint).
  const early = failFast(run.agent, invocation, mergeEnv(invocation.env));
  let agentResult: AgentResult | null = null;
  const handle = (events: AgentEvent[]) => {
    for (const event of events) {
      early.check(event);
      if (event.kind === 'result') agentResult = event.result;
      const text = progress(event);
      if (text) ctx.log(text);
    }
  };
  const command = confinedCommand(run.agent, input, { bin: input.bin, args: invocation.args }, invocation.env);
  const outcome = await runAgentProcess({
    bin: command.bin,
    args: command.args,
    env: command.env,
    stdin: invocation.stdin,
    cwd: input.worktree.dir,
    timeoutMs: run.timeoutMs,
    transcript: (line: string) => input.transcript.push((ctx.redact ?? noRedaction)(line)),
    onStart: input.onStart,
    onLine: (line: string) => handle(parse(line)),
    signal: input.stop ? AbortSignal.any([early.signal, input.stop]) : early.signal,
    redact: ctx.redact,
  });
  input.stderr.push(outcome.stderrTail);
  // CLIs without a final result event (opencode) assemble it once the stream is over.
  handle(parse.end?.() ?? []);
  const failure = early.failure ?? adapter.classify({ ...outcome, result: agentResult });
  return { agentResult, failure, countedTurns: progress.turns() };
}

/**
 * A command line of the batch's worktree (the agent's, or its verify command run as `command`):
 * inside the sandbox when the batch has one, as it is otherwise.
 */
export function confinedCommand(agent: AgentName, input: Pick<AgentRunInput, 'sandbox' | 'worktree' | 'repo' | 'branch' | 'snapshot'>, command: { bin: string; args: string[] }, env: Record<string, string>): { bin: string; args: string[]; env: Record<string, string> } {
  if (!input.sandbox.bwrap || !input.worktree.gitDir) return { ...command, env };
  const confinement: Confinement = confinementFor({ agent, env, worktreeDir: input.worktree.dir, gitDir: input.worktree.gitDir, commonDir: input.repo.commonDir, branch: input.branch, branchTip: input.snapshot });
  return confineCommand(agent, input.sandbox.bwrap, confinement, input.worktree.dir, command, env);
}
