import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a subcommand of the `nx-worktree-ai` command may touch: its cwd and two output streams. */
export interface CommandIo {
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A command line that cannot be understood: printed with the subcommand's usage, exit code 2. */
export class UsageError extends Error {}

/** The nearest folder at or above `dir` with an nx.json; `dir` itself when there is none. */
export function findWorkspaceRoot(dir: string): string {
  let cur = resolve(dir);
  for (;;) {
    if (existsSync(join(cur, 'nx.json'))) return cur;
    const parent = dirname(cur);
    if (parent === cur) return resolve(dir);
    cur = parent;
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommand<T extends OptionsConfig> =
  | { help: true }
  | { help: false; values: { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean }; positionals: string[] };

/**
 * A subcommand's arguments through node:util parseArgs. Read in order, so `--help` (or `-h`) wins
 * over what follows it; an unknown option, a string option without a value, a value given to a
 * flag or (unless allowed) a positional argument is a UsageError naming the argument.
 */
export function parseCommandArgs<T extends OptionsConfig>(args: string[], options: T, allowPositionals = false): ParsedCommand<T> {
  const { values, positionals, tokens } = parseArgs({
    args,
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    // Checked below, token by token, to keep the first error and the order with --help.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'option-terminator') throw new UsageError('unknown option --');
    if (token.kind === 'positional') {
      if (!allowPositionals) throw new UsageError(`unknown option ${token.value}`);
      continue;
    }
    if (token.name === 'help' && token.value === undefined) return { help: true };
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!option || (option.type === 'boolean' && token.value !== undefined)) throw new UsageError(`unknown option ${args[token.index]}`);
    if (option.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
  }
  return { help: false, values: values as Extract<ParsedCommand<T>, { help: false }>['values'], positionals };
}
