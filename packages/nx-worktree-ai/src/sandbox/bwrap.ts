import type { Confinement } from './policy';

/** A command line: the program and its arguments. */
export interface Command {
  bin: string;
  args: string[];
}

/**
 * The command run by bubblewrap: the whole file system read-only, the confinement's folders
 * writable, its private folders over the shared ones, a fresh /dev and /proc. The network and the process tree are left as they are: the
 * agent must reach its model API, and the executor stops the agent by its process group.
 * `--die-with-parent`: if bwrap is killed, the agent goes with it.
 */
export function bwrapCommand(bwrap: string, confinement: Confinement, cwd: string, command: Command): Command {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  for (const dir of confinement.writable) args.push('--bind', dir, dir);
  for (const { source, target } of confinement.overlays) args.push('--bind', source, target);
  for (const file of confinement.readOnly) args.push('--ro-bind', file, file);
  args.push('--die-with-parent', '--chdir', cwd, '--', command.bin, ...command.args);
  return { bin: bwrap, args };
}
