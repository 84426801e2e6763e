/** The comment each written file starts its frontmatter with: how a later run finds its own files. */
export function planMarker(planPath: string): string {
  return `# Written by nx-worktree-ai:plan from ${planPath}: edit the plan and run the generator again (nx g nx-worktree-ai:plan ${planPath})`;
}
const MARKER = /^---[ \t]*\r?\n# Written by nx-worktree-ai:plan from (.+?): edit the plan/;

/** The plan path a batch file was written from, or null for a file not written by this generator. */
export function planOf(text: string): string | null {
  return MARKER.exec(text)?.[1] ?? null;
}
