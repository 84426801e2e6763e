import picomatch from 'picomatch';

/** `{projectRoot}` of the root project is '.', whose files have no prefix. */
export function underProject(projectRoot: string, glob: string): string {
  return projectRoot === '.' || projectRoot === '' ? glob : `${projectRoot}/${glob}`;
}

/**
 * A `context` entry as a workspace-relative glob: `{workspaceRoot}/x` and `{projectRoot}/x` as Nx
 * reads them, anything else relative to the project root.
 */
export function contextGlob(projectRoot: string, entry: string): string {
  if (entry.startsWith('{workspaceRoot}/')) return entry.slice('{workspaceRoot}/'.length);
  if (entry.startsWith('{projectRoot}/')) return underProject(projectRoot, entry.slice('{projectRoot}/'.length));
  return underProject(projectRoot, entry);
}

/** Workspace-relative path predicate for a list of globs (dotfiles included, as Nx does). */
export function globMatcher(globs: string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch(globs, { dot: true });
}
