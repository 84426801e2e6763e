import { notInstalled } from '../agents/failures';
import { mergeEnv } from '../agents/process';
import { getAdapter } from '../agents/registry';
import { resolveAgentBin } from '../agents/resolve-bin';
import { chooseSandbox, type SandboxChoice } from '../sandbox';
import { BatchFailure } from '../results/failure';
import type { BatchRun } from '../resolve/resolve';
import { knownAgentVersion } from './agent-version';
import type { RunState } from './state';

export interface AgentVersion {
  version: string | null;
  error: Error | null;
}

export interface FoundAgent {
  /** The agent CLI's path. */
  bin: string;
  sandbox: SandboxChoice;
  /** `--version`, known from an earlier batch or asked while the worktree is made (a process start of its own, needing nothing of it). */
  asked: Promise<AgentVersion>;
}

/** The agent CLI and the sandbox: whatever is certain to fail fails here, before a worktree is made. */
export function findAgent({ run, options, ctx, repo }: RunState): FoundAgent {
  const adapter = getAdapter(run.agent);
  // The command agent names its program per batch (command[0]).
  const binName = adapter.bin || run.spec.frontmatter.command?.[0] || '';
  const bin = resolveAgentBin(binName, ctx.root, options.agentBin);
  if (!bin) throw new BatchFailure(notInstalled(binName, adapter.npmPackage, adapter.install).message, null);
  // A failure that is certain before the CLI starts (amp without credentials would hang).
  const preflight = adapter.preflight?.(mergeEnv({}));
  if (preflight) throw new BatchFailure(preflight.message, null);
  const sandbox = sandboxOrFail(run);
  const asked = knownAgentVersion(repo, bin, adapter.versionArgs).then(
    (version) => ({ version, error: null }),
    (error: Error) => ({ version: null, error }),
  );
  return { bin, sandbox, asked };
}

/** The batch's sandbox choice; a `required` one that cannot be had fails the batch before anything runs. */
function sandboxOrFail(run: BatchRun): SandboxChoice {
  try {
    return chooseSandbox(run.sandbox);
  } catch (error) {
    throw new BatchFailure((error as Error).message, null);
  }
}
