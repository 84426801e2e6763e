import picomatch from 'picomatch';
import { joinRootGlob } from './globs';

/** A project-relative glob as a workspace-relative one (the root project '.' adds no prefix). */
export const underProject = joinRootGlob;

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
