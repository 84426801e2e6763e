import { git } from '../worktree/git';
import { recordPluginWrites, refWrite, type PluginWrite } from '../worktree/plugin-writes';
import type { RepoInfo } from '../worktree/repo';
import { splitLines } from './fingerprint';
import type { IntegrityScope } from './scope';

// Every ref shared with the user's repository (branches, tags, stash, remote refs, packed or loose).

export async function refState(repo: RepoInfo): Promise<Map<string, string>> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(refname)%00%(objectname)']);
  const refs = new Map<string, string>();
  for (const line of splitLines(out)) {
    const [ref, oid] = line.split('\0');
    refs.set(ref, oid);
  }
  return refs;
}

/**
 * Ref changes nobody recorded. A deleted ref is put back where it was (recreating a ref cannot lose
 * anything; if the user deleted it meanwhile, they delete it again); a moved or created one is only
 * reported: undoing it could drop the user's own commits.
 */
export async function refFindings(scope: IntegrityScope, before: Map<string, string>, after: Map<string, string>, writes: PluginWrite[]): Promise<string[]> {
  const recorded = new Map<string, Set<string | null>>();
  for (const w of writes) if (w.kind === 'ref') recorded.set(w.ref, (recorded.get(w.ref) ?? new Set()).add(w.oid));
  const own = `refs/heads/${scope.branch}`;
  const findings: string[] = [];
  for (const ref of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [was, now] = [before.get(ref), after.get(ref)];
    if (was === now || ref === own || recorded.get(ref)?.has(now ?? null)) continue;
    const name = refLabel(ref);
    if (was === undefined) findings.push(`created ${name}`);
    else if (now === undefined) findings.push(`deleted ${name} (${await putBack(scope.repo, ref, was)})`);
    else findings.push(`moved ${name} (${was.slice(0, 10)} -> ${now.slice(0, 10)})`);
  }
  return findings;
}

async function putBack(repo: RepoInfo, ref: string, oid: string): Promise<string> {
  try {
    recordPluginWrites(repo, [refWrite(ref, oid)]);
    await git(repo.root, ['update-ref', '-m', 'nx-worktree-ai: put back a ref deleted during an agent run', ref, oid, '']);
    return `put back at ${oid.slice(0, 12)}`;
  } catch {
    return `it was at ${oid}: git update-ref ${ref} ${oid}`;
  }
}

function refLabel(ref: string): string {
  if (ref.startsWith('refs/heads/')) return `branch ${ref.slice('refs/heads/'.length)}`;
  if (ref.startsWith('refs/tags/')) return `tag ${ref.slice('refs/tags/'.length)}`;
  return `ref ${ref}`;
}
