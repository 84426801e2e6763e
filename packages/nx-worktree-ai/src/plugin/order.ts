/**
 * `names` in the order their changes apply: each after those of `names` it depends on (`after`),
 * ties by name. The inference (the aggregate's --batches) and the apply executor (from the target
 * configuration) both order with it, so both apply stacked changes in the same order. A cycle
 * cannot reach here (such batch files are invalid), and would only stop the walk, not loop.
 */
export function dependencyOrder(names: string[], after: (name: string) => string[]): string[] {
  const wanted = new Set(names);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (visiting.has(name)) return;
    visiting.add(name);
    after(name)
      .filter((d) => wanted.has(d))
      .forEach(visit);
    ordered.push(name);
  };
  [...wanted].sort().forEach(visit);
  return ordered;
}
