/**
 * Where a batch's wall time went (`timings.json` beside result.json): each `mark(name)` adds the
 * time since the previous mark to `name`. The benchmark reads it to tell the plugin's own overhead
 * from the agent's time.
 */
export function phaseClock(): { mark: (name: string) => void; phases: Record<string, number> } {
  let last = performance.now();
  const phases: Record<string, number> = {};
  const mark = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(((phases[name] ?? 0) + now - last) * 10) / 10;
    last = now;
  };
  return { mark, phases };
}
