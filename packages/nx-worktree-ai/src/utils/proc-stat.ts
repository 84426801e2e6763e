import { readFileSync } from 'node:fs';

/** What the plugin reads of a process from Linux's /proc/<pid>/stat. */
export interface ProcStat {
  /** The program's name (field 2). */
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks since boot (field 22). */
  start: string;
}

/** Linux /proc/<pid>/stat; null when the process is gone or there is no /proc. */
export function procStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesised and may hold spaces or parentheses: count from the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19] };
  } catch {
    return null;
  }
}
