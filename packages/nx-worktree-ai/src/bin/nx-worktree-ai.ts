#!/usr/bin/env node
/**
 * The `nx-worktree-ai` command of the package (package.json "bin"). Subcommands:
 *   report   the run report: a table in the terminal and .nx-worktree-ai/report.html
 *   cache    share the result cache through a git remote (push | pull)
 *   doctor   check the machine and workspace: CLIs, versions, credentials, sandbox, git, Nx, Node
 */
import { REPORT_USAGE, reportCommand } from './report';
import { CACHE_USAGE, cacheCommand } from './cache';
import { DOCTOR_USAGE, doctorCommand } from './doctor';
import { UsageError, type CommandIo } from './command';

const COMMANDS: Record<string, { usage: string; run: (args: string[], io: CommandIo) => number | Promise<number> }> = {
  report: { usage: REPORT_USAGE, run: reportCommand },
  cache: { usage: CACHE_USAGE, run: cacheCommand },
  doctor: { usage: DOCTOR_USAGE, run: doctorCommand },
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
    return await entry.run(args, io);
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
