import { applyBatches } from '../executors/apply/apply-batches';
import { findWorkspaceRoot, type CommandIo } from './command';
import { parseApplyArgs } from './apply-args';
import { APPLY_USAGE } from './usage';

/** `nx-worktree-ai apply`, the step of each project's aggregate target: returns the exit code. */
export async function applyCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseApplyArgs(args);
  if (!parsed) {
    io.out(APPLY_USAGE);
    return 0;
  }
  const { project, projectRoot, files, options } = parsed;
  const ok = await applyBatches({ root: findWorkspaceRoot(io.cwd), project, projectRoot, files, options });
  return ok ? 0 : 1;
}
