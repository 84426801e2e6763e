import { rmSync, writeFileSync } from 'node:fs';
import type { RepoInfo } from './repo';
import { git, gitRaw, splitNul } from './git';
import { tempIndexPath } from './runs';

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

/** Several blobs with one git process (`cat-file --batch`): oid -> content. */
export async function readBlobs(repo: string, oids: string[]): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(oids)];
  const blobs = new Map<string, Buffer>();
  if (wanted.length <= 1) {
    for (const oid of wanted) blobs.set(oid, await readBlob(repo, oid));
    return blobs;
  }
  const { stdout } = await gitRaw(repo, ['cat-file', '--batch'], { input: `${wanted.join('\n')}\n` });
  // Per object: "<oid> <type> <size>\n<content>\n", or "<name> missing\n".
  for (let at = 0; at < stdout.length; ) {
    const eol = stdout.indexOf(0x0a, at);
    const [oid, type, size] = stdout.subarray(at, eol).toString('utf8').split(' ');
    if (type === 'missing' || size === undefined) throw new Error(`git object ${oid} is missing from the repository`);
    const start = eol + 1;
    blobs.set(oid, stdout.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return blobs;
}

/** Writes content to the object store and returns its blob id. */
export async function writeBlob(repo: string, content: Buffer | string): Promise<string> {
  return git(repo, ['hash-object', '-w', '--stdin'], { input: content });
}

/** Writes several contents to the object store with one git process; blob ids in the same order. */
export async function writeBlobs(repo: RepoInfo, contents: (Buffer | string)[]): Promise<string[]> {
  if (contents.length <= 1) return Promise.all(contents.map((content) => writeBlob(repo.root, content)));
  // Temp files named like temp indexes (kind, pid), so recovery removes those of a killed process.
  const files = contents.map(() => tempIndexPath(repo, 'blob'));
  try {
    contents.forEach((content, i) => writeFileSync(files[i], content));
    const out = await git(repo.root, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: `${files.join('\n')}\n` });
    return out.split('\n');
  } finally {
    for (const file of files) rmSync(file, { force: true });
  }
}

export async function revParse(repo: string, rev: string): Promise<string | null> {
  try {
    return await git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    return null;
  }
}

/** A commit a ref points at, as `for-each-ref` tells it. */
export interface CommitRef {
  ref: string;
  oid: string;
  parents: string[];
  /** First line of the message. */
  subject: string;
  committer: string;
  /** Committer date, seconds since the epoch. */
  committedAt: number;
  /** Values of the trailers asked for (several joined by a space); '' when absent. */
  trailers: Record<string, string>;
}

/**
 * The commits that refs matching `patterns` point at (a full ref name, or a prefix up to a slash such
 * as `refs/heads/ai/`), with one git process however many. Refs to anything but a commit are left out.
 */
export async function readCommitRefs(repo: string, patterns: string[], trailerKeys: string[] = []): Promise<CommitRef[]> {
  const fields = ['refname', 'objecttype', 'objectname', 'parent', 'committername', 'committerdate:unix', 'subject', ...trailerKeys.map((key) => `trailers:key=${key},valueonly,separator=%x20`)];
  const out = await git(repo, ['for-each-ref', `--format=${fields.map((field) => `%(${field})`).join('%00')}`, '--', ...patterns]);
  return out
    .split('\n')
    .map((line) => line.split('\0'))
    .filter((values) => values.length === fields.length && values[1] === 'commit')
    .map(([ref, , oid, parents, committer, date, subject, ...trailers]) => ({
      ref,
      oid,
      parents: parents.split(' ').filter(Boolean),
      subject,
      committer,
      committedAt: Number(date),
      trailers: Object.fromEntries(trailerKeys.map((key, i) => [key, trailers[i].trim()])),
    }));
}

/** The commit `ref` (a full ref name) points at, or null. */
export async function readCommitRef(repo: string, ref: string, trailerKeys: string[] = []): Promise<CommitRef | null> {
  return (await readCommitRefs(repo, [ref], trailerKeys)).find((found) => found.ref === ref) ?? null;
}

/** Writes a tree object holding exactly `files` (path -> mode and blob id) and returns its id. */
export async function writeTreeOf(repo: RepoInfo, files: TreeFiles): Promise<string> {
  // A fresh (absent) index file is an empty index.
  const indexFile = tempIndexPath(repo, 'tree');
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    const lines = [...files].map(([path, entry]) => `${entry.mode} ${entry.oid}\t${path}`);
    if (lines.length) await git(repo.root, ['update-index', '-z', '--index-info'], { env, input: `${lines.join('\0')}\0` });
    return await git(repo.root, ['write-tree'], { env });
  } finally {
    rmSync(indexFile, { force: true });
  }
}
