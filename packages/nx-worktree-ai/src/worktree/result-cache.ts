import { git, gitRaw, PLUGIN_IDENTITY } from './git';
import { revParse } from './tree';
import type { RepoInfo } from './repo';
import { recordPluginWrites, refWrite } from './plugin-writes';

/**
 * The result cache lives in git itself, so it survives `nx reset`, is shared by every clone that
 * fetches the refs, and costs nothing to look up:
 *   refs/nx-worktree-ai/cache/<key>  ->  record commit
 *     tree:   the run's artifacts (result.json, transcript.jsonl, changes.patch, prompt.md)
 *     parent: the result commit (snapshot + the batch's change), the tree that gets replayed
 */
export const CACHE_REF_PREFIX = 'refs/nx-worktree-ai/cache/';

export interface CachedResult {
  record: string;
  /** The result commit; its parent is the snapshot the batch ran on. */
  commit: string;
  artifacts: Record<string, Buffer>;
}

export async function lookupResult(repo: RepoInfo, key: string): Promise<CachedResult | null> {
  const record = await revParse(repo.root, `${CACHE_REF_PREFIX}${key}`);
  if (!record) return null;
  const commit = await git(repo.root, ['rev-parse', `${record}^1`]);
  // Only plain file names: a record fetched from a remote is not trusted to name paths.
  const names = (await git(repo.root, ['ls-tree', '--name-only', '-z', record])).split('\0').filter((n) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n));
  const artifacts: Record<string, Buffer> = {};
  for (const name of names) artifacts[name] = (await gitRaw(repo.root, ['cat-file', 'blob', `${record}:${name}`])).stdout;
  return { record, commit, artifacts };
}

export async function storeResult(repo: RepoInfo, key: string, resultCommit: string, artifacts: Record<string, string | Buffer>): Promise<string> {
  const entries: string[] = [];
  for (const [name, content] of Object.entries(artifacts).sort(([a], [b]) => a.localeCompare(b))) {
    const oid = await git(repo.root, ['hash-object', '-w', '--stdin'], { input: content });
    entries.push(`100644 blob ${oid}\t${name}`);
  }
  const tree = await git(repo.root, ['mktree'], { input: `${entries.join('\n')}\n` });
  const record = await git(repo.root, ['commit-tree', tree, '-p', resultCommit], {
    env: PLUGIN_IDENTITY,
    input: `nx-worktree-ai result ${key}\n`,
  });
  recordPluginWrites(repo, [refWrite(`${CACHE_REF_PREFIX}${key}`, record)]);
  await git(repo.root, ['update-ref', `${CACHE_REF_PREFIX}${key}`, record]);
  return record;
}
