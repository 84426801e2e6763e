import { posix } from 'node:path';
import { globsMayOverlap, joinRootGlob } from '../batch/globs';
import { label, ROOT_TOKENS, type InferredBatch } from './batches';
import { rootContains } from './project-root';

/**
 * Two batches may run at the same time when neither reaches the other through dependsOn. If they
 * are in the same project, or in projects whose roots nest, their outputs must not overlap: both
 * agents would write the same files, and restoring one from the cache would delete the other's.
 * Dependencies between projects (`^<targetName>`) are not known here, so they do not count.
 *
 * Only pairs that can overlap at all are compared (candidatePairs): with a thousand batches that
 * each write their own folder this stays close to linear instead of a million glob comparisons.
 */
export function checkOverlappingOutputs(batches: InferredBatch[], report: (file: string, problem: string) => void): void {
  const usable = batches.filter((b) => b.spec);
  const reach = new Map<InferredBatch, Set<InferredBatch>>();
  const reachable = (b: InferredBatch): Set<InferredBatch> => {
    let seen = reach.get(b);
    if (seen) return seen;
    seen = new Set();
    const todo = [...b.dependsOn];
    while (todo.length) {
      const v = todo.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      todo.push(...v.dependsOn);
    }
    reach.set(b, seen);
    return seen;
  };
  const outputs = usable.map((b) => b.spec!.frontmatter.outputs.filter((o) => !o.startsWith('!') && !ROOT_TOKENS.test(o)));

  for (const [i, j] of candidatePairs(usable, outputs)) {
    const [a, b] = [usable[i], usable[j]];
    if (!rootContains(a.root, b.root) && !rootContains(b.root, a.root)) continue;
    if (reachable(a).has(b) || reachable(b).has(a)) continue;
    const pairs: Array<[string, string]> = [];
    for (const oa of outputs[i]) {
      for (const ob of outputs[j]) {
        if (globsMayOverlap(joinRootGlob(a.root, oa), joinRootGlob(b.root, ob))) pairs.push([oa, ob]);
      }
    }
    if (!pairs.length) continue;
    const show = (x: InferredBatch, glob: string) => JSON.stringify(a.root === b.root ? glob : posix.join(x.root, glob));
    const describe = (self: InferredBatch, other: InferredBatch, flip: boolean) =>
      `key "outputs": may write the same files as batch ${label(other)} (${other.file}): ${pairs
        .map(([ga, gb]) => (flip ? `${show(b, gb)} and ${show(a, ga)}` : `${show(a, ga)} and ${show(b, gb)}`))
        .join('; ')}; Nx may run both at the same time because neither depends on the other: add dependsOn: [${
        other.root === self.root ? other.name : label(other)
      }] to one of them, or make the outputs disjoint`;
    report(a.file, describe(a, b, false));
    report(b.file, describe(b, a, true));
  }
}

/**
 * Pairs [i, j] (i < j, sorted) of batches with outputs that could overlap by their literal path
 * prefix alone: two globs can only cover a common path when the folder part before the first glob
 * character of one is the same as, or a parent of, the other's (`libs/a/src/**` never meets
 * `libs/b/**`). Each output is filed under its prefix; it meets the outputs filed at its own prefix
 * and at every parent of it, so a pair is found once, from its deeper side.
 */
export function candidatePairs(batches: InferredBatch[], outputs: string[][]): Array<[number, number]> {
  const byPrefix = new Map<string, number[]>();
  const prefixes: string[][] = outputs.map((globs, i) => [...new Set(globs.map((g) => literalPrefix(joinRootGlob(batches[i].root, g))))]);
  prefixes.forEach((list, i) => list.forEach((p) => byPrefix.set(p, [...(byPrefix.get(p) ?? []), i])));
  const found = new Set<string>();
  const pairs: Array<[number, number]> = [];
  prefixes.forEach((list, j) => {
    for (const prefix of list) {
      for (let p: string | null = prefix; p !== null; p = parentOf(p)) {
        for (const i of byPrefix.get(p) ?? []) {
          if (i === j) continue;
          const [x, y] = i < j ? [i, j] : [j, i];
          const key = `${x},${y}`;
          if (!found.has(key)) {
            found.add(key);
            pairs.push([x, y]);
          }
        }
      }
    }
  });
  return pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
}

/** The leading folders of a glob without glob syntax ('' when the first segment already has some). */
function literalPrefix(glob: string): string {
  const literal: string[] = [];
  for (const segment of glob.split('/')) {
    if (/[*?[\]{}()!+@\\]/.test(segment)) break;
    literal.push(segment);
  }
  return literal.join('/');
}

function parentOf(prefix: string): string | null {
  if (prefix === '') return null;
  const cut = prefix.lastIndexOf('/');
  return cut < 0 ? '' : prefix.slice(0, cut);
}
