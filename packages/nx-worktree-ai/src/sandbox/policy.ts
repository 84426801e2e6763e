import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a confined agent may write and the environment that points its tools there. */
export interface Confinement {
  /** Absolute folders (and a few files) the agent may write; everything else is read-only to it. */
  writable: string[];
  /** Files inside writable folders that stay read-only (the worktree's links back to the repository). */
  readOnly: string[];
  /** Added to the agent's environment. */
  env: Record<string, string>;
  /** The agent's own git object store; its objects join the repository's when it has ended (objects.ts). */
  objectsDir: string;
}

export interface ConfinementRequest {
  worktreeDir: string;
  /** The worktree's git dir, `<common dir>/worktrees/<name>`. */
  gitDir: string;
  /** The repository's shared git dir. */
  commonDir: string;
  /** The batch branch, `ai/<project>/<batch>`. */
  branch: string;
  /** Folders the agent CLI keeps its own state in (sessions, settings, logs): made when missing. */
  stateDirs: string[];
  /** Files of the CLI's state outside those folders: writable when they exist. */
  stateFiles: string[];
}

/** Where the plugin keeps a confined run's private folders: inside the worktree's git dir, which goes with it. */
export const PRIVATE_DIR = 'nx-worktree-ai';

/**
 * The write set of one batch (made where missing unless `create` is false, for the dry run): its worktree and the worktree's git dir (index, HEAD, its logs), the
 * ref folder of its branch and that folder's reflog (git writes a ref as a lock file renamed into
 * place, so the folder, not the file, must be writable; it holds only the `ai/<project>/` branches,
 * which the integrity check still watches), the CLI's state folders, and a private temp folder.
 *
 * The repository's object store stays read-only: a writable one would let the agent delete the
 * user's loose objects. Git in the worktree writes new objects to a private store instead
 * (GIT_OBJECT_DIRECTORY) and reads the repository's through GIT_ALTERNATE_OBJECT_DIRECTORIES.
 */
export function planConfinement(request: ConfinementRequest, create = true): Confinement {
  const own = join(request.gitDir, PRIVATE_DIR);
  const tmp = join(own, 'tmp');
  const objectsDir = join(own, 'objects');
  const branchFolder = dirname(request.branch);
  const refs = join(request.commonDir, 'refs', 'heads', branchFolder);
  const logs = join(request.commonDir, 'logs', 'refs', 'heads', branchFolder);
  if (create) for (const dir of [tmp, objectsDir, refs, logs, ...request.stateDirs]) mkdirSync(dir, { recursive: true });
  const files = request.stateFiles.filter((p) => existsSync(p));
  const writable = unique([request.worktreeDir, request.gitDir, refs, logs, ...request.stateDirs, ...files].map(real));
  const readOnly = [join(request.worktreeDir, '.git'), join(request.gitDir, 'commondir'), join(request.gitDir, 'gitdir')].filter((p) => !create || existsSync(p));
  return {
    writable,
    readOnly: readOnly.map(real),
    objectsDir,
    env: {
      TMPDIR: tmp,
      GIT_OBJECT_DIRECTORY: objectsDir,
      GIT_ALTERNATE_OBJECT_DIRECTORIES: join(request.commonDir, 'objects'),
      // Caches that would otherwise be written in the (read-only) home folder or the user's Nx cache.
      npm_config_cache: join(tmp, 'npm-cache'),
      NX_CACHE_DIRECTORY: join(tmp, 'nx-cache'),
      NX_DAEMON: 'false',
      // The CLIs' own check for "running in a sandbox" (claude allows bypassPermissions as root only then).
      IS_SANDBOX: '1',
    },
  };
}

/** The path with its symlinks resolved (bwrap binds real paths); as it is when it does not exist yet. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `path` lies in one of the writable folders. */
export function isWritable(confinement: Pick<Confinement, 'writable'>, path: string): boolean {
  return confinement.writable.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

function unique(paths: string[]): string[] {
  // A folder inside another adds nothing and would be bound twice.
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p) => !sorted.some((other) => other !== p && p.startsWith(`${other}/`)));
}
