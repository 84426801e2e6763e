import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
