/** One line of `nx-worktree-ai doctor`: ok, a warning, a failure (something required is missing) or information. */
export interface Check {
  status: 'ok' | 'warn' | 'fail' | 'info';
  /** What was checked: "Node", "git", "claude", "claude credentials". */
  what: string;
  /** What was found and, when it is not ok, what to do. */
  detail: string;
}

export const ok = (what: string, detail: string): Check => ({ status: 'ok', what, detail });
export const warn = (what: string, detail: string): Check => ({ status: 'warn', what, detail });
export const fail = (what: string, detail: string): Check => ({ status: 'fail', what, detail });
export const info = (what: string, detail: string): Check => ({ status: 'info', what, detail });
