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
  /** CPU time (user + system, fields 14 and 15) in clock ticks. */
  cpuTicks: number;
}

/** Linux /proc/<pid>/stat, or one thread's /proc/<pid>/task/<tid>/stat; null when it is gone or there is no /proc. */
export function procStat(pid: number, tid?: number): ProcStat | null {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesised and may hold spaces or parentheses: count from the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19], cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}
