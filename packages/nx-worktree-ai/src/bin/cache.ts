import { resolve } from 'node:path';
import { findWorkspaceRoot, parseCommandArgs, UsageError, type CommandIo } from './command';
import { CACHE_USAGE } from './usage';
import { readRepoInfo } from '../worktree/repo';
import { pullResults, pushResults } from '../worktree/share';

/** `nx-worktree-ai cache push|pull`: returns the exit code. */
export async function cacheCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(args, { root: { type: 'string' } }, true);
  if (parsed.help) {
    io.out(CACHE_USAGE);
    return 0;
  }
  const root = parsed.values.root === undefined ? null : resolve(io.cwd, parsed.values.root);
  const positional = parsed.positionals;
  const [action, remote = 'origin', ...rest] = positional;
  if ((action !== 'push' && action !== 'pull') || rest.length) throw new UsageError('expected push or pull, and at most one remote');
  const repo = await readRepoInfo(root ?? findWorkspaceRoot(io.cwd));
  const summary = action === 'push' ? await pushResults(repo, remote) : await pullResults(repo, remote);
  const n = summary.transferred.length;
  io.out(`${action === 'push' ? 'pushed' : 'pulled'} ${n} result${n === 1 ? '' : 's'} (${action === 'push' ? 'to' : 'from'} ${remote}; ${summary.total} stored here)`);
  return 0;
}
