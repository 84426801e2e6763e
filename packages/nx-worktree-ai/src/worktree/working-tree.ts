import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { git, splitNul } from './git';
import type { RepoInfo } from './repo';
import type { TreeFiles } from './tree';

/** The plugin's artifact folder: never part of a snapshot (see snapshot.ts). */
const ARTIFACTS_PREFIX = '.nx-worktree-ai/';

/**
 * The files a snapshot (snapshot.ts: `git add -A` into a private index, artifacts left out) would
 * hold, computed WITHOUT writing anything: no index, no object, no ref. Blob ids come from
 * `git hash-object` without `-w` (with the same clean filters `git add` applies), modes from the
 * file system as `git add` reads them. Only paths accepted by `select` are hashed, so a dry run
 * that needs a cache key hashes its inputs only.
 */
export async function workingTreeFiles(repo: RepoInfo, select: (path: string) => boolean = () => true): Promise<TreeFiles> {
  const fileMode = await gitBool(repo.root, 'core.fileMode', true);
  const symlinks = await gitBool(repo.root, 'core.symlinks', true);

  // Tracked paths with their index mode, then untracked paths that are not ignored.
  const indexModes = new Map<string, string>();
  for (const record of splitNul(await git(repo.root, ['ls-files', '-z', '--stage']))) {
    const tab = record.indexOf('\t');
    const [mode, , stage] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    if (stage === '0' || !indexModes.has(path)) indexModes.set(path, mode);
  }
  const untracked = splitNul(await git(repo.root, ['ls-files', '-z', '--others', '--exclude-standard']));
  const paths = [...new Set([...indexModes.keys(), ...untracked])].filter(
    (p) => !p.endsWith('/') && !p.startsWith(ARTIFACTS_PREFIX) && select(p),
  );

  const files: TreeFiles = new Map();
  const regular: Array<{ path: string; mode: string }> = [];
  for (const path of paths.sort()) {
    const indexMode = indexModes.get(path);
    if (indexMode === '160000') continue; // a submodule: not a blob of the tree
    let stat: Stats;
    try {
      stat = lstatSync(join(repo.root, path));
    } catch {
      continue; // deleted in the working tree: `git add -A` drops it
    }
    if (stat.isSymbolicLink() && symlinks) {
      const oid = await git(repo.root, ['hash-object', '--stdin'], { input: readlinkSync(join(repo.root, path)) });
      files.set(path, { mode: '120000', oid });
    } else if (stat.isFile()) {
      regular.push({ path, mode: fileModeOf(stat, indexMode, fileMode) });
    }
  }
  // One process for all paths (one per line); a path with a line break gets its own call.
  const batch = regular.filter((f) => !/[\r\n]/.test(f.path));
  if (batch.length) {
    const oids = (await git(repo.root, ['hash-object', '--stdin-paths'], { input: `${batch.map((f) => f.path).join('\n')}\n` })).split('\n');
    batch.forEach((f, i) => files.set(f.path, { mode: f.mode, oid: oids[i] }));
  }
  for (const f of regular.filter((x) => /[\r\n]/.test(x.path))) {
    files.set(f.path, { mode: f.mode, oid: await git(repo.root, ['hash-object', '--', f.path]) });
  }
  return files;
}

/** What `git add` records: the executable bit when core.fileMode is on, else the index's mode. */
function fileModeOf(stat: Stats, indexMode: string | undefined, fileMode: boolean): string {
  if (!fileMode) return indexMode === '100755' ? '100755' : '100644';
  return stat.mode & 0o100 ? '100755' : '100644';
}

async function gitBool(root: string, key: string, fallback: boolean): Promise<boolean> {
  const value = await git(root, ['config', '--type=bool', '--get', key], { okExitCodes: [1] });
  return value === '' ? fallback : value === 'true';
}
