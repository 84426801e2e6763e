import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What a confined agent may write and the environment that points its tools there. */
export interface Confinement {
  /** Absolute folders (and a few files) the agent may write; everything else is read-only to it. */
  writable: string[];
  /** Private folders mounted over shared ones: the agent reads and writes its own copy there. */
  overlays: Array<{ source: string; target: string }>;
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
  /** The batch branch, `ai/<project>/<batch>`, and the commit it points at when the agent starts. */
  branch: string;
  branchTip: string;
  /** Folders the agent CLI keeps its own state in (sessions, settings, logs): made when missing. */
  stateDirs: string[];
  /** Files of the CLI's state outside those folders: writable when they exist. */
  stateFiles: string[];
}

/** Where the plugin keeps a confined run's private folders: inside the worktree's git dir, which goes with it. */
export const PRIVATE_DIR = 'nx-worktree-ai';

/**
 * The write set of one batch (made where missing unless `create` is false, for the dry run): its
 * worktree and the worktree's git dir (index, HEAD, its logs), the CLI's state folders, and a
 * private temp folder. Nothing shared with the user's repository is writable:
 *
 * - objects: a writable store would let the agent delete the user's loose objects. Git in the
 *   worktree writes new objects to a private store (GIT_OBJECT_DIRECTORY) and reads the
 *   repository's through GIT_ALTERNATE_OBJECT_DIRECTORIES; they join the repository's afterwards.
 * - the branch: git writes a ref as a lock file renamed into place, so a writable ref needs its
 *   whole folder, `refs/heads/ai/<project>/`, which holds the other batches' branches of the
 *   project too. The agent gets a private copy of that folder holding only its own branch (and a
 *   private reflog folder): its commits move its branch as it sees it, the real branch is set by
 *   the plugin from the collected work, as always.
 */
export function planConfinement(request: ConfinementRequest, create = true): Confinement {
  refuseStateInRepository(request);
  const own = join(request.gitDir, PRIVATE_DIR);
  const tmp = join(own, 'tmp');
  const objectsDir = join(own, 'objects');
  const branchFolder = dirname(request.branch);
  const overlays = [
    { source: join(own, 'refs'), target: join(request.commonDir, 'refs', 'heads', branchFolder) },
    { source: join(own, 'logs'), target: join(request.commonDir, 'logs', 'refs', 'heads', branchFolder) },
  ];
  if (create) {
    for (const dir of [tmp, objectsDir, ...overlays.flatMap((o) => [o.source, o.target]), ...request.stateDirs]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(overlays[0].source, basename(request.branch)), `${request.branchTip}\n`);
  }
  const files = request.stateFiles.filter((p) => existsSync(p));
  const writable = unique([request.worktreeDir, request.gitDir, ...request.stateDirs, ...files].map(real));
  const readOnly = [join(request.worktreeDir, '.git'), join(request.gitDir, 'commondir'), join(request.gitDir, 'gitdir')].filter((p) => !create || existsSync(p));
  return {
    writable,
    overlays: overlays.map((o) => ({ source: o.source, target: real(o.target) })),
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

/**
 * A CLI state folder (or file) that holds the repository's git folder or lies inside it would be
 * writable to the agent, and with it every ref, object and hook: refused, before anything is made.
 * The integrity check relies on it to leave the shared refs of a confined run unscanned.
 */
function refuseStateInRepository(request: ConfinementRequest): void {
  const repository = real(request.commonDir);
  const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
  for (const path of [...request.stateDirs, ...request.stateFiles]) {
    const state = real(path);
    if (within(repository, state) || within(state, repository)) {
      throw new Error(
        `the agent CLI keeps its state in ${path}, which ${within(repository, state) ? 'holds' : 'lies inside'} the repository's git folder ${request.commonDir}: writable to a sandboxed agent, it would hand it the repository. Point the CLI's state elsewhere (CLAUDE_CONFIG_DIR, CODEX_HOME, COPILOT_HOME, HOME) or set sandbox: off for this batch.`,
      );
    }
  }
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
