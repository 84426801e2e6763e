/** Where the batch executor's entry leaves the CPU time at which loading the executor began. */
export const LOAD_START = Symbol.for('nx-worktree-ai.executor-load-start');
