import { git, PLUGIN_IDENTITY } from './git';
import type { RepoInfo } from './repo';
import { listTree, readBlobs, readCommitRef, writeBlobs, writeTreeOf, type TreeFiles } from './tree';
import { recordPluginWrites, refWrite } from './plugin-writes';

/**
 * The result cache lives in git itself, so it survives `nx reset`, costs one lookup, and travels
 * with `git push`/`git fetch` of its refs (`nx-worktree-ai cache push|pull`):
 *   refs/nx-worktree-ai/cache/<key>  ->  record commit (no parent)
 *     result.json, transcript.jsonl, changes.patch, prompt.md   the run's artifacts
 *     outputs/<path>                                            every file of the batch's outputs after the run
 * Only the outputs are kept: the snapshot the batch ran on may hold a user's untracked files, and a
 * record is meant to be pushed to a team's remote.
 */
export const CACHE_REF_PREFIX = 'refs/nx-worktree-ai/cache/';
/** Folder of a record's tree that holds the batch's files. */
export const RECORD_OUTPUTS = 'outputs/';

export interface CachedResult {
  record: string;
  /** path (from the workspace root) -> entry: what a replay restores. */
  outputs: TreeFiles;
  artifacts: Record<string, Buffer>;
}

export async function lookupResult(repo: RepoInfo, key: string): Promise<CachedResult | null> {
  return readRecord(repo, key, true);
}

/** The record of `key` (null: none, or one of the first layout); its artifacts are read only when asked for. */
async function readRecord(repo: RepoInfo, key: string, withArtifacts: boolean): Promise<CachedResult | null> {
  const found = await readCommitRef(repo.root, `${CACHE_REF_PREFIX}${key}`);
  // Records of the first layout had a parent and no outputs/: replaying one would empty the outputs.
  if (!found || found.parents.length) return null;
  const record = found.oid;
  const outputs: TreeFiles = new Map();
  const artifactEntries: [string, string][] = [];
  for (const [path, entry] of await listTree(repo.root, record)) {
    if (path.startsWith(RECORD_OUTPUTS)) outputs.set(path.slice(RECORD_OUTPUTS.length), entry);
    // Only plain file names: a record fetched from a remote is not trusted to name paths.
    else if (withArtifacts && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(path)) artifactEntries.push([path, entry.oid]);
  }
  const blobs = await readBlobs(repo.root, artifactEntries.map(([, oid]) => oid));
  const artifacts: Record<string, Buffer> = Object.fromEntries(artifactEntries.map(([name, oid]) => [name, blobs.get(oid)!]));
  return { record, outputs, artifacts };
}

/** Trailer of a record: the batch commit it was stored from (isIntegrated's quick answer). */
export const STORED_FROM_TRAILER = 'Nx-Worktree-Ai-Commit';

/** Stores a run's outputs and artifacts under `key`; `from` is the batch commit they come from. */
export async function storeResult(repo: RepoInfo, key: string, outputs: TreeFiles, artifacts: Record<string, string | Buffer>, from?: string): Promise<string> {
  const files: TreeFiles = new Map();
  const names = Object.keys(artifacts);
  const oids = await writeBlobs(repo, Object.values(artifacts));
  names.forEach((name, i) => files.set(name, { mode: '100644', oid: oids[i] }));
  for (const [path, entry] of outputs) files.set(`${RECORD_OUTPUTS}${path}`, entry);
  const tree = await writeTreeOf(repo, files);
  const record = await git(repo.root, ['commit-tree', tree], { env: PLUGIN_IDENTITY, input: `nx-worktree-ai result ${key}\n${from ? `\n${STORED_FROM_TRAILER}: ${from}\n` : ''}` });
  recordPluginWrites(repo, [refWrite(`${CACHE_REF_PREFIX}${key}`, record)]);
  await git(repo.root, ['update-ref', `${CACHE_REF_PREFIX}${key}`, record]);
  return record;
}

/**
 * Was the record for `key` stored from `commit` itself? Then it holds every file the commit changed
 * (only a batch that wrote nothing outside its outputs is stored): one git process, where
 * recordHoldsCommit compares the files.
 */
export async function recordStoredFrom(repo: RepoInfo, key: string, commit: string): Promise<boolean> {
  const record = await readCommitRef(repo.root, `${CACHE_REF_PREFIX}${key}`, [STORED_FROM_TRAILER]);
  return !!record && !record.parents.length && record.trailers[STORED_FROM_TRAILER] === commit;
}

/** Does the record for `key` hold every file `commit` changed relative to its parent? */
export async function recordHoldsCommit(repo: RepoInfo, key: string, commit: string): Promise<boolean> {
  const hit = await readRecord(repo, key, false);
  if (!hit) return false;
  const out = await git(repo.root, ['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', `${commit}^`, commit]);
  const parts = out.split('\0').filter(Boolean);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [, , , newOid, status] = parts[i].slice(1).split(' ');
    const path = parts[i + 1];
    const held = hit.outputs.get(path);
    if (status === 'D' ? held !== undefined : held?.oid !== newOid) return false;
  }
  return true;
}
