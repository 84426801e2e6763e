import type { PlannedBatch } from './plan';

/**
 * CAST's `verify_files` as a batch's `verify`: cast-exec checks, after the batch, that each file is
 * a regular file and not empty. Here the agent that writes a file checks it in its own worktree
 * (paths from the workspace root, which is the worktree's root), so a failed check is fixed in the
 * same session before anything is applied.
 */
const CHECK =
  "const fs=require('fs');let bad=0;for(const f of process.argv.slice(1)){const s=fs.statSync(f,{throwIfNoEntry:false});" +
  "if(!s||!s.isFile()||s.size===0){console.error('verify_files: missing or empty: '+f);bad=1}}process.exit(bad)";

export function verifyFilesCommand(files: string[]): string[] {
  return ['node', '-e', CHECK, '--', ...files];
}

const normal = (path: string) => path.replace(/\\/g, '/').replace(/^\.\//, '');

/**
 * Gives each file to the agent whose `owns_files` holds it, else to the last agent of a sequential
 * batch (it runs after the others and sees their work); parallel agents work in separate worktrees,
 * so a file none of them owns cannot be checked by any: a note says so.
 */
export function assignVerifyFiles(files: string[], agents: PlannedBatch[], parallel: boolean, where: string, notes: string[]): void {
  for (const file of files) {
    const owner = agents.find((a) => a.ownsFiles?.some((owned) => normal(owned) === normal(file))) ?? (parallel ? undefined : agents.at(-1));
    if (owner) owner.verifyFiles = [...(owner.verifyFiles ?? []), file];
    else notes.push(`${where}: verify_files ${JSON.stringify(file)}: no agent of this parallel batch owns it (owns_files), so none can check it: not used`);
  }
}
