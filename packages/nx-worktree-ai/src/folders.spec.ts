import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The source is cut into stage folders; a folder that imports one importing it back hides a
// cycle that makes both impossible to read, test or move alone. Specs may import anything.
const SRC = __dirname;
const IMPORT = /(?:\bfrom|\bimport|\brequire\()\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__fixtures__' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The top-level folder under src/ a path lies in; '.' for a file directly in src/. */
function folderOf(path: string): string | null {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return null;
  const [head, ...rest] = rel.split(sep);
  if (rest.length > 0) return head;
  const isDir = (() => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  })();
  return isDir ? head : '.';
}

function folderImports(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file) as string;
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(file), match[1]));
      if (!to || to === from) continue;
      const targets = edges.get(from) ?? new Map<string, string>();
      if (!targets.has(to)) targets.set(to, `${relative(SRC, file)} imports ${match[1]}`);
      edges.set(from, targets);
    }
  }
  return edges;
}

describe('the folders under src/', () => {
  it('finds the imports between folders', () => {
    const edges = folderImports();
    expect(edges.get('executors')?.has('run')).toBe(true);
    expect(edges.get('run')?.has('integrate')).toBe(true);
  });

  it('has no folder importing one that imports it back', () => {
    const edges = folderImports();
    const pairs: string[] = [];
    for (const [a, targets] of edges) {
      for (const [b, why] of targets) {
        const back = edges.get(b)?.get(a);
        if (back && a < b) pairs.push(`${a} <-> ${b}: ${why}; ${back}`);
      }
    }
    expect(pairs).toEqual([]);
  });
});
