import type { RepoInfo } from '../worktree/repo';

/** What the check looks at for one batch. */
export interface IntegrityScope {
  repo: RepoInfo;
  /** The batch's worktree folder. */
  worktreeDir: string;
  /** The batch's branch (`ai/<project>/<batch>`): the agent may commit on it. */
  branch: string;
  /** Folder holding the worktrees (and their prompt files). */
  baseDir: string;
  /** Workspace-relative paths the batch may write. */
  isOutput: (path: string) => boolean;
  /**
   * The agent ran confined by the OS sandbox (sandbox/) and could write only these folders: a change
   * anywhere else is somebody else's (the user's, git's own maintenance) and is not looked at.
   */
  writable?: string[] | null;
}

export interface IntegrityBaseline {
  at: number;
  workspace: Map<string, string>;
  refs: Map<string, string>;
  heads: Map<string, string>;
  gitFiles: Map<string, string>;
  around: Map<string, string>;
  gitFile: string | null;
  adminDir: string | null;
}
