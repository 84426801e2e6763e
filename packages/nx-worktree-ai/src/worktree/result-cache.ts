import { git, PLUGIN_IDENTITY } from './git';
import type { RepoInfo } from './repo';
import { listTree, readBlobs, readCommitRef, type TreeFiles } from './tree';
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

/**
 * Stores a run's outputs and artifacts under `key`; `from` is the batch commit they come from. One
 * `git fast-import` writes the artifacts' blobs, the trees, the record commit (no parent) and its
 * ref, where separate commands took five git processes. Call under the workspace lock: the ref
 * write is recorded for other batches' integrity checks right after it is made.
 */
export async function storeResult(repo: RepoInfo, key: string, outputs: TreeFiles, artifacts: Record<string, string | Buffer>, from?: string): Promise<string> {
  const ref = `${CACHE_REF_PREFIX}${key}`;
  const stream = new FastImportStream();
  stream.line(`reset ${ref}`);
  stream.line(`commit ${ref}`);
  stream.line('mark :1');
  stream.line(`committer ${PLUGIN_IDENTITY.GIT_COMMITTER_NAME} <${PLUGIN_IDENTITY.GIT_COMMITTER_EMAIL}> ${Math.floor(Date.now() / 1000)} +0000`);
  stream.data(`nx-worktree-ai result ${key}\n${from ? `\n${STORED_FROM_TRAILER}: ${from}\n` : ''}`);
  for (const [name, content] of Object.entries(artifacts)) {
    stream.line(`M 100644 inline ${quotedPath(name)}`);
    stream.data(content);
  }
  for (const [path, entry] of outputs) stream.line(`M ${entry.mode} ${entry.oid} ${quotedPath(`${RECORD_OUTPUTS}${path}`)}`);
  // The record's id on stdout; `done` ends the stream (a cut-off one then fails instead of storing half).
  stream.line('get-mark :1');
  stream.line('done');
  // --force: a key stored before is replaced by a commit that does not descend from the old one.
  const record = await git(repo.root, ['fast-import', '--quiet', '--force', '--done'], { input: stream.bytes() });
  recordPluginWrites(repo, [refWrite(ref, record)]);
  return record;
}

/** Removes the record for `key`: a run that stored its result and then could not integrate it. Call under the workspace lock. */
export async function dropResult(repo: RepoInfo, key: string): Promise<void> {
  const ref = `${CACHE_REF_PREFIX}${key}`;
  recordPluginWrites(repo, [refWrite(ref, null)]);
  await git(repo.root, ['update-ref', '-d', ref]);
}

/** A `git fast-import` input stream (commands and `data` blocks, byte counts exact). */
class FastImportStream {
  private readonly parts: Buffer[] = [];
  line(text: string): void {
    this.parts.push(Buffer.from(`${text}\n`));
  }
  data(content: string | Buffer): void {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    this.parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A path in fast-import's C-style quotes: any byte may follow, the quote, backslash and controls escaped. */
function quotedPath(path: string): string {
  const escaped = path.replace(/["\\\x00-\x1f\x7f]/g, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
  });
  return `"${escaped}"`;
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
