import { writeFileSync } from 'node:fs';
import { bypassSettings, bypassWarning } from '../agents/permissions';
import { captureBaseline } from '../guard/integrity';
import type { IntegrityBaseline } from '../guard/scope';
import { withLock } from '../worktree/lock';
import { rememberScope } from '../recovery/salvage';
import { prepareWorktree } from '../worktree/worktree';
import { agentSection, promptFileOf } from './invocation';
import { runSetupCommand } from './setup-command';
import type { PlacedWorktree } from './worktree';
import type { RunState } from './state';

export interface PreparedRun {
  /** The prompt written beside the worktree (removed once the agent is done). */
  promptFile: string;
  /** What the integrity check compares with after the agent. */
  before: IntegrityBaseline;
}

/** The worktree made ready for the agent: prepared (node_modules...), set up, the prompt written, the baseline taken. */
export async function prepareRun({ run, options, ctx, repo, lock, prompt, clock, life }: RunState, placed: PlacedWorktree): Promise<PreparedRun> {
  const { worktree } = placed;
  prepareWorktree(repo, worktree, options);
  if (options.setupCommand) await runSetupCommand(run, options.setupCommand, worktree, ctx);
  life.registration.update({ prepared: worktree.prepared });
  rememberScope(worktree, { outputs: run.outputGlobs, prepared: worktree.prepared });
  const promptFile = promptFileOf(worktree.dir);
  writeFileSync(promptFile, prompt);
  for (const setting of bypassSettings({ agent: run.agent, section: agentSection(run), agentArgs: options.agentArgs })) ctx.log(bypassWarning(run.label, setting));
  const before = placed.baseline ?? (await withLock(lock, () => captureBaseline(placed.scope)));
  clock.mark('prepare');
  return { promptFile, before };
}
