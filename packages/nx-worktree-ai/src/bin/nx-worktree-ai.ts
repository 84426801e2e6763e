#!/usr/bin/env node
/**
 * The `nx-worktree-ai` command of the package (package.json "bin"). Subcommands:
 *   report   the run report: a table in the terminal and .nx-worktree-ai/report.html
 *   cache    share the result cache through a git remote (push | pull)
 *   doctor   check the machine and workspace: CLIs, versions, credentials, sandbox, git, Nx, Node
 *   apply    bring the batches' changes into the workspace (the step of each project's ai-generate)
 * Each command's module is loaded only when it runs: `apply` runs once per project after every
 * nx run, and should not pay for the report's or the doctor's code.
 */
import { APPLY_USAGE, CACHE_USAGE, DOCTOR_USAGE, REPORT_USAGE } from './usage';
import { UsageError, type CommandIo } from './command';

type Command = (args: string[], io: CommandIo) => number | Promise<number>;

const COMMANDS: Record<string, { usage: string; load: () => Promise<Command> }> = {
  report: { usage: REPORT_USAGE, load: async () => (await import('./report')).reportCommand },
  cache: { usage: CACHE_USAGE, load: async () => (await import('./cache')).cacheCommand },
  doctor: { usage: DOCTOR_USAGE, load: async () => (await import('./doctor')).doctorCommand },
  apply: { usage: APPLY_USAGE, load: async () => (await import('./apply')).applyCommand },
};

const USAGE = `usage: nx-worktree-ai <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.usage.split('\n\n')[1]?.split('\n')[0] ?? ''}`)
  .join('\n')}

Run \`nx-worktree-ai <command> --help\` for its options.`;

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.err(`nx-worktree-ai: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await entry.load())(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nx-worktree-ai ${command}: ${e.message}\n\n${entry.usage}`);
      return 2;
    }
    io.err(`nx-worktree-ai ${command}: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }).then((code) => {
    process.exitCode = code;
  });
}
