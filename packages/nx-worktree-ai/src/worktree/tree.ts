import { git, gitRaw, splitNul } from './git';

/** One file of a git tree: mode (100644, 100755, 120000) and blob id. */
export interface TreeEntry {
  mode: string;
  oid: string;
}

/** path (posix, from the repo root) -> entry, for every file of `commit`. */
export type TreeFiles = Map<string, TreeEntry>;

export async function listTree(repo: string, commit: string): Promise<TreeFiles> {
  const out = await git(repo, ['ls-tree', '-r', '-z', '--full-tree', commit]);
  const files: TreeFiles = new Map();
  for (const record of splitNul(out)) {
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    if (type === 'blob') files.set(record.slice(tab + 1), { mode, oid });
  }
  return files;
}

export async function readBlob(repo: string, oid: string): Promise<Buffer> {
  return (await gitRaw(repo, ['cat-file', 'blob', oid])).stdout;
}

/** Writes content to the object store and returns its blob id. */
export async function writeBlob(repo: string, content: Buffer | string): Promise<string> {
  return git(repo, ['hash-object', '-w', '--stdin'], { input: content });
}

export async function revParse(repo: string, rev: string): Promise<string | null> {
  try {
    return await git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    return null;
  }
}
