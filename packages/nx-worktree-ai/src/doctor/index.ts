import { checkAgents } from './agents';
import { info, type Check } from './check';
import { checkGit, checkNode, checkNx, checkRegistered, checkRepository, checkSandbox } from './environment';
import { workspaceUsage, type WorkspaceUsage } from './usage';

export type { Check } from './check';

/** Everything a batch run needs from this machine and workspace, one check per line. */
export async function runDoctor(root: string, options: { all?: boolean } = {}): Promise<Check[]> {
  const checks: Check[] = [checkNode(), await checkGit(root), checkNx(root), await checkRepository(root), checkRegistered(root)];
  let usage: WorkspaceUsage = { agents: new Map(), sandboxRequired: [], agentBin: null, commands: new Map(), batchCount: 0 };
  try {
    usage = await workspaceUsage(root);
    checks.push(info('batches', usage.batchCount ? `${usage.batchCount} batch file(s) using ${[...usage.agents.keys()].join(', ')}` : 'none yet: the checks below are for claude, the default agent'));
  } catch (e) {
    checks.push(info('batches', `not read (${(e as Error).message.split('\n')[0]}): the checks below are for claude, the default agent`));
  }
  checks.push(checkSandbox(usage.sandboxRequired));
  checks.push(...(await checkAgents(root, usage, options.all === true)));
  return checks;
}
