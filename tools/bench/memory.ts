/** Memory of the bench's process tree. */
import { readdirSync, readFileSync } from 'node:fs';

/** Peak summed RSS of this process's descendants (nx, its workers, the agents), sampled every 100 ms. */
export function sampleTreeRss(): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    const parents = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${name}/status`, 'utf8'));
        if (kb) rss.set(Number(name), Number(kb[1]));
      } catch {
        // gone meanwhile
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
      return false;
    };
    let total = 0;
    for (const [pid, kb] of rss) if (inTree(pid)) total += kb;
    peak = Math.max(peak, total / 1024);
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.round(peak);
  };
}
