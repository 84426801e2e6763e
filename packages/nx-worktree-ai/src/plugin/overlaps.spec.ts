import type { InferredBatch } from './batches';
import { candidatePairs } from './overlaps';

function batch(root: string, name: string): InferredBatch {
  return { file: `${root}/ai/${name}.ai.md`, name, root, project: root, pathInProject: `ai/${name}.ai.md`, dependsOn: [] };
}

describe('candidatePairs', () => {
  it('pairs only outputs whose literal folders are the same or nest', () => {
    const batches = [batch('libs/a', 'x'), batch('libs/a', 'y'), batch('libs/b', 'z'), batch('.', 'all'), batch('libs/a', 'w')];
    const outputs = [['src/x/**'], ['src/y/*.ts', 'docs/{a,b}/**'], ['src/x/**'], ['libs/b/src/**'], ['src/**']];
    // x/y: different folders; x/z: different projects' folders; all (root) reaches only libs/b/src; w covers libs/a/src
    expect(candidatePairs(batches, outputs)).toEqual([
      [0, 4],
      [1, 4],
      [2, 3],
    ]);
  });

  it('a glob that starts with glob syntax meets everything', () => {
    const batches = [batch('libs/a', 'x'), batch('libs/b', 'y'), batch('.', 'z')];
    expect(candidatePairs(batches, [['src/**'], ['src/**'], ['**/*.ts']])).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });

  it('stays linear for a thousand batches that each write their own folder', () => {
    const batches = Array.from({ length: 1000 }, (_, i) => batch('libs/big', `b${i}`));
    const outputs = batches.map((_, i) => [`src/feature-${i}/**`, `test/feature-${i}.spec.ts`]);
    expect(candidatePairs(batches, outputs)).toEqual([]);
  });
});
