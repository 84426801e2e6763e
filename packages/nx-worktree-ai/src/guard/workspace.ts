import { join } from 'node:path';
import { readWorkspaceFile } from '../worktree/apply';
import { git, gitRaw, splitNul } from '../worktree/git';
import { fileSig, type PluginWrite } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import { CACHE_REF_PREFIX, RECORD_OUTPUTS } from '../worktree/result-cache';
import { splitLines, statSig } from './fingerprint';
import type { IntegrityBaseline, IntegrityScope } from './scope';

// The workspace: `git status` of the user's checkout (tracked and untracked, not ignored) plus lstat
// of every path it lists; a change the plugin or some batch explains is no finding.

/** Folders of the workspace the check leaves alone: the plugin's artifacts and Nx's own state. */
const UNCHECKED_PREFIXES = ['.nx-worktree-ai/', '.nx/'];

export async function workspaceState(root: string): Promise<Map<string, string>> {
  // No fsmonitor: a hook planted in the config would otherwise run right here, as the plugin.
  const out = await git(root, ['-c', 'core.fsmonitor=false', 'status', '--porcelain=v1', '-z', '-uall', '--no-renames', '--ignore-submodules=all']);
  const state = new Map<string, string>();
  for (const record of splitNul(out)) {
    const path = record.slice(3);
    if (UNCHECKED_PREFIXES.some((p) => path.startsWith(p))) continue;
    state.set(path, `${record.slice(0, 2)}|${statSig(join(root, path))}`);
  }
  return state;
}

export async function workspaceFindings(scope: IntegrityScope, baseline: IntegrityBaseline, writes: PluginWrite[]): Promise<string[]> {
  const after = await workspaceState(scope.repo.root);
  const written = new Map<string, Set<string>>();
  for (const w of writes) if (w.kind === 'file') written.set(w.path, (written.get(w.path) ?? new Set()).add(w.sig));
  const unexplained: Array<{ path: string; how: string }> = [];
  for (const path of new Set([...baseline.workspace.keys(), ...after.keys()])) {
    const before = baseline.workspace.get(path);
    const now = after.get(path);
    if (before === now || scope.isOutput(path)) continue;
    const current = readWorkspaceFile(scope.repo.root, path);
    if (written.get(path)?.has(fileSig(current))) continue;
    const how = current === null ? 'deleted' : before === undefined && now?.startsWith('??') ? 'created' : 'changed';
    unexplained.push({ path, how });
  }
  const produced = await producedByABatch(
    scope.repo,
    unexplained.filter((u) => u.how !== 'deleted').map((u) => u.path),
  );
  return unexplained
    .filter((u) => !produced.has(u.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((u) => `${u.how} ${u.path} in the workspace`);
}

/**
 * Paths whose workspace content is exactly what a batch produced: the same blob at the same path
 * in a batch branch or a result-cache entry (Nx restores a cached batch's outputs that way).
 */
async function producedByABatch(repo: RepoInfo, paths: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!paths.length) return found;
  const refs = splitLines(await git(repo.root, ['for-each-ref', '--format=%(refname)', 'refs/heads/ai/', CACHE_REF_PREFIX]));
  if (!refs.length) return found;
  // A cache record keeps the batch's files under outputs/ (worktree/result-cache.ts); a branch at their paths.
  const prefixOf = (ref: string) => (ref.startsWith(CACHE_REF_PREFIX) ? `${ref}:${RECORD_OUTPUTS}` : `${ref}:`);
  for (const path of paths) {
    const current = readWorkspaceFile(repo.root, path);
    if (!current) continue;
    const oid = await git(repo.root, ['hash-object', '-t', 'blob', '--stdin'], { input: current.content });
    const query = refs.map((ref) => `${prefixOf(ref)}${path}`).join('\n');
    const { stdout } = await gitRaw(repo.root, ['cat-file', '--batch-check=%(objectname)'], { input: `${query}\n` });
    if (stdout.toString('utf8').split('\n').includes(oid)) found.add(path);
  }
  return found;
}
