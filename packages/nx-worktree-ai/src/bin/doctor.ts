import { resolve } from 'node:path';
import { runDoctor, type Check } from '../doctor';
import { findWorkspaceRoot, parseCommandArgs, type CommandIo } from './command';
import { DOCTOR_USAGE } from './usage';

const MARK: Record<Check['status'], string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', info: '-' };

/** `nx-worktree-ai doctor`: returns the exit code (1 when a check failed). */
export async function doctorCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(args, { all: { type: 'boolean' }, root: { type: 'string' }, json: { type: 'boolean' } });
  if (parsed.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  const root = parsed.values.root === undefined ? findWorkspaceRoot(io.cwd) : resolve(io.cwd, parsed.values.root);
  const checks = await runDoctor(root, { all: parsed.values.all === true });
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (parsed.values.json) {
    io.out(JSON.stringify({ root, checks, failed, warnings: warned }, null, 2));
    return failed ? 1 : 0;
  }
  const width = Math.max(...checks.map((c) => c.what.length));
  io.out(`nx-worktree-ai doctor: ${root}`);
  for (const c of checks) io.out(`  ${MARK[c.status].padEnd(4)}  ${c.what.padEnd(width)}  ${c.detail}`);
  io.out(failed ? `\n${failed} problem(s) to fix before batches can run${warned ? `, ${warned} warning(s)` : ''}.` : `\nready${warned ? ` (${warned} warning(s))` : ''}.`);
  return failed ? 1 : 0;
}
