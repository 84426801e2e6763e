import type { AgentName, SandboxMode } from '../batch/spec';
import { sandboxTool } from './available';
import { bwrapCommand, type Command } from './bwrap';
import { planConfinement, type Confinement } from './policy';
import { agentStatePaths } from './state-dirs';
import { nestedSandboxArgs } from './nested';

export { adoptAgentObjects } from './objects';
export { blockedWrites } from './blocked-writes';
export { isWritable, type Confinement } from './policy';
export type { Command } from './bwrap';

/** How a batch's agent will run: confined by bwrap, or not (and why, for the one line that says so). */
export type SandboxChoice = { bwrap: string } | { bwrap: null; why: string | null };

/**
 * `auto` confines where the OS allows it, `required` fails the batch where it does not, `off` never
 * confines. Returns the choice, or throws the message of a `required` batch that cannot be confined.
 */
export function chooseSandbox(mode: SandboxMode): SandboxChoice {
  if (mode === 'off') return { bwrap: null, why: null };
  const tool = sandboxTool();
  if (tool.available) return { bwrap: tool.bwrap };
  if (mode === 'required') {
    throw new Error(`the batch requires an OS sandbox (sandbox: required) and none is available: ${tool.reason}. Nothing was run.`);
  }
  return { bwrap: null, why: tool.reason };
}

export interface ConfineInput {
  agent: AgentName;
  /** The invocation's own environment additions (over process.env). */
  env: Record<string, string>;
  worktreeDir: string;
  gitDir: string;
  commonDir: string;
  branch: string;
  /** The commit the branch points at when the agent starts (its private copy of the ref starts there). */
  branchTip: string;
}

/** The confinement of one agent run: its write set and the environment that goes with it. `create: false` writes nothing (dry run). */
export function confinementFor(input: ConfineInput, create = true): Confinement {
  const state = agentStatePaths(input.agent, process.env, input.env);
  return planConfinement({ worktreeDir: input.worktreeDir, gitDir: input.gitDir, commonDir: input.commonDir, branch: input.branch, branchTip: input.branchTip, stateDirs: state.dirs, stateFiles: state.files }, create);
}

/** The agent's command line run inside the sandbox, with the confinement's environment over its own. */
export function confineCommand(agent: AgentName, bwrap: string, confinement: Confinement, cwd: string, command: Command, env: Record<string, string>): Command & { env: Record<string, string> } {
  const inner = { bin: command.bin, args: nestedSandboxArgs(agent, command.args) };
  return { ...bwrapCommand(bwrap, confinement, cwd, inner), env: { ...env, ...confinement.env } };
}
