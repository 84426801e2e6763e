import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { nxProcessPid } from './nx-process';

/**
 * Lines that must reach the user while the task runs, even where Nx holds the task's output back.
 *
 * Without a terminal (CI, a pipe) `nx run-many` collects each task's output and shows it only when
 * the task fails (or with --verbose, --output-style=static); the user sees nothing for the minutes
 * a batch's agent works. There, a batch's start and end lines also go straight to the nx process's
 * own standard output (Linux: /proc/<nx pid>/fd/1), where they appear as they happen. Nothing is
 * written there when Nx already shows the task's output live (the task has a terminal: the
 * terminal UI, `nx run`; it writes to Nx's own output; the command asked for
 * `--output-style=stream`), nor when Nx's output is no pipe (a socket, when a Node program started nx, cannot be opened): a terminal shows Nx's own progress,
 * and in a regular file (`nx ... > log`) Nx's later writes would land over ours. Other platforms
 * have no /proc: use `--output-style=stream` there.
 */
export interface LiveLines {
  line(text: string): void;
  close(): void;
}

const NONE: LiveLines = { line: () => undefined, close: () => undefined };

export function liveLines(env: NodeJS.ProcessEnv = process.env, stdoutIsTTY = !!process.stdout.isTTY): LiveLines {
  const pid = nxProcessPid(env);
  if (pid === null || stdoutIsTTY || process.platform !== 'linux') return NONE;
  const target = `/proc/${pid}/fd/1`;
  try {
    const theirs = statSync(target);
    const ours = fstatSync(1);
    if (theirs.dev === ours.dev && theirs.ino === ours.ino) return NONE;
    // A pipe only: a terminal shows Nx's own progress (and a second writer would break its redrawn
    // lines), a regular file would get Nx's later writes over ours, a socket cannot be opened.
    if (!theirs.isFIFO()) return NONE;
    if (streamsOutput(pid)) return NONE;
  } catch {
    return NONE;
  }
  let fd: number | null = null;
  let broken = false;
  return {
    line(text) {
      if (broken) return;
      try {
        // Non-blocking: a full or closed pipe drops the line instead of stalling the batch.
        fd ??= openSync(target, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
        writeSync(fd, `${text.split('\n')[0].slice(0, 400)}\n`);
      } catch {
        broken = true;
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** The nx command streams task output live: `--output-style=stream` (or its variants), or NX_STREAM_OUTPUT=true in its environment. */
export function streamsOutput(pid: number): boolean {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const style = args.flatMap((arg, i) => {
    const m = /^--output-?[sS]tyle(?:=(.*))?$/.exec(arg);
    return m ? [m[1] ?? args[i + 1] ?? ''] : [];
  });
  if (style.some((s) => s.startsWith('stream'))) return true;
  let environ = '';
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    // not ours to read: the arguments decide
  }
  return environ.split('\0').includes('NX_STREAM_OUTPUT=true');
}
