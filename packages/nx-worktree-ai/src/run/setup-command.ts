import { runAgentProcess } from '../agents/process';
import { resolveAgentBin } from '../agents/resolve-bin';
import { changedSinceCheckout } from '../worktree/changes';
import type { Worktree } from '../worktree/worktree';
import { BatchFailure } from '../results/failure';
import type { BatchRun } from '../resolve/resolve';
import type { RunContext } from './state';

/** `setupCommand`: argv in the worktree before the agent (e.g. npm ci); a failure fails the batch. */
export async function runSetupCommand(run: BatchRun, command: string[], worktree: Worktree, ctx: RunContext): Promise<void> {
  const [bin, ...args] = command;
  const found = resolveAgentBin(bin, ctx.root) ?? bin;
  ctx.log(`[${run.label}] setup: ${command.join(' ')}`);
  const outcome = await runAgentProcess({
    bin: found,
    args,
    env: {},
    stdin: null,
    cwd: worktree.dir,
    timeoutMs: run.timeoutMs,
    onLine: (line) => ctx.log(`[${run.label}] setup: ${line}`),
    redact: ctx.redact,
  });
  worktree.prepared.push(...(await changedSinceCheckout(worktree)).filter((path) => !worktree.prepared.includes(path)));
  if (outcome.exitCode !== 0) {
    const how = outcome.timedOut ? 'timed out' : outcome.exitCode === null ? `was killed (${outcome.signal})` : `exited with code ${outcome.exitCode}`;
    throw new BatchFailure(`the setup command \`${command.join(' ')}\` ${how}: ${outcome.stderrTail.trim().split('\n').slice(-3).join(' | ') || 'no output on stderr'}`, null);
  }
}
