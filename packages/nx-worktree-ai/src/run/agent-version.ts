import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { agentVersion } from '../agents/resolve-bin';
import { readText, writeFileAtomic } from '../utils/files';
import type { RepoInfo } from '../worktree/repo';
import { pluginDir } from '../worktree/runs';

/**
 * The agent CLI's `--version` (result.json `agentVersion`, the commit trailer, the start line),
 * kept per CLI file: its real path, size, times and inode. Asking starts the CLI once more for
 * every batch, and claude's start alone takes ~0.4 s of CPU beside the batch's own start on the
 * same cores. An updated, reinstalled or replaced CLI is another file and is asked again; a CLI
 * whose `--version` fails or hangs is asked every time (the batch fails saying so), and
 * `nx-worktree-ai doctor` always asks.
 */
export async function knownAgentVersion(repo: Pick<RepoInfo, 'commonDir'>, bin: string, versionArgs: string[]): Promise<string | null> {
  const key = cliFileKey(bin, versionArgs);
  const file = key ? join(pluginDir(repo), 'agent-versions', key) : null;
  const known = file ? readText(file) : null;
  if (known) return known;
  const version = await agentVersion(bin, versionArgs);
  if (file && version) {
    try {
      writeFileAtomic(file, version);
    } catch {
      // asked again next time
    }
  }
  return version;
}

function cliFileKey(bin: string, versionArgs: string[]): string | null {
  if (!versionArgs.length) return null;
  try {
    const real = realpathSync(bin);
    const stat = statSync(real);
    return createHash('sha256').update(JSON.stringify([real, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, versionArgs])).digest('hex').slice(0, 32);
  } catch {
    return null;
  }
}
