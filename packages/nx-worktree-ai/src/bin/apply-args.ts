import { APPLY_MODES, type ApplyMode } from '../batch/modes';
import type { ApplyOptions } from '../executors/apply/schema';
import { UsageError } from './command';

/** The arguments of `nx-worktree-ai apply`. */
export interface ApplyArgs {
  project: string;
  projectRoot: string;
  /** Batch files from the workspace root, in the order to apply. */
  files: string[];
  options: ApplyOptions;
}

const DRY_RUN = new Set(['--dry-run', '--dryRun']);

/**
 * Reads the command line the aggregate target runs, to which nx appends the options of the nx
 * command (`--dryRun=true`, `--apply=commit`, `--model=opus`, ...). The aggregate's own arguments
 * come first and win: a later project, --project-root or --batches is ignored. Of the appended
 * options only --dry-run and --apply mean something here; the others (and their values) are the
 * batches' options and ignored. Returns null for --help before the project.
 */
export function parseApplyArgs(args: string[]): ApplyArgs | null {
  let project: string | undefined;
  let projectRoot: string | undefined;
  let batches: string | undefined;
  const raw: { dryRun?: boolean; apply?: unknown } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    if ((arg === '--help' || arg === '-h') && project === undefined) return null;
    if (!arg.startsWith('-')) {
      project ??= arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    // A value given as the next argument, when that is no option.
    const next = () => (inline === undefined && i + 1 < args.length && !args[i + 1].startsWith('-') ? args[++i] : inline);
    if (name === '--project-root') projectRoot ??= next();
    else if (name === '--batches') batches ??= next();
    else if (name === '--apply') raw.apply = next() ?? true;
    else if (DRY_RUN.has(name)) raw.dryRun = flag(name, inline ?? (args[i + 1] === 'true' || args[i + 1] === 'false' ? args[++i] : 'true'));
  }
  if (project === undefined) throw new UsageError('expected the project');
  if (!projectRoot) throw new UsageError('--project-root=<root> is required');
  if (batches === undefined) throw new UsageError('--batches=<file>,<file>,... is required');
  // Checked against the modes themselves, not the executor's zod schema: the command runs once per
  // project at the end of every run, and loading zod would be most of its cost.
  if (raw.apply !== undefined && !APPLY_MODES.includes(raw.apply as ApplyMode)) throw new UsageError(`--apply=${String(raw.apply)} is not a way to apply: expected one of ${APPLY_MODES.join(', ')}`);
  return { project, projectRoot, files: batches.split(',').filter(Boolean), options: { dryRun: raw.dryRun ?? false, apply: raw.apply as ApplyMode | undefined } };
}

function flag(name: string, value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new UsageError(`${name}=${value}: expected true or false`);
}
