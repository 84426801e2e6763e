/** A path as a gitignore (and sparse-checkout) pattern that matches only itself, from the worktree root. */
export function literalPattern(path: string): string {
  return `/${path.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`)}`;
}
