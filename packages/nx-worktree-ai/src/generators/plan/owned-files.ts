import { isAbsolute, posix, relative } from 'node:path';

/** Characters with a meaning in a glob: a file name that has them is escaped to match only itself. */
const GLOB_CHARS = /[*?[\]{}()!+@\\]/g;

/**
 * A manifest agent's `owns_files` (the files it may write: what `outputs` means) as outputs of its
 * project: globs relative to the project root, each matching exactly one file. Paths are relative
 * to the workspace root, or absolute inside it (CAST's planner writes absolute paths). A path
 * outside the workspace or the project is refused with the path named.
 */
export function ownedFilesAsOutputs(owned: string[], project: string, projectRoot: string, workspaceRoot: string): { outputs: string[]; problems: string[] } {
  const outputs: string[] = [];
  const problems: string[] = [];
  for (const path of owned) {
    const fromRoot = workspacePath(path, workspaceRoot);
    if (fromRoot === null) {
      problems.push(`owns_files "${path}" is outside the workspace (${workspaceRoot}): list the files as paths from the workspace root`);
      continue;
    }
    const inProject = projectRoot === '.' ? fromRoot : fromRoot.startsWith(`${projectRoot}/`) ? fromRoot.slice(projectRoot.length + 1) : null;
    if (inProject === null) {
      problems.push(`owns_files "${path}" is outside project "${project}" (${projectRoot}): give the agent the project that holds it ("project" key or --project), or split the agent`);
      continue;
    }
    outputs.push(inProject.replace(GLOB_CHARS, (c) => `\\${c}`));
  }
  return { outputs, problems };
}

/** The path from the workspace root, or null when it is outside (or in the home folder: `~/...`). */
export function workspacePath(path: string, workspaceRoot: string): string | null {
  if (path.startsWith('~')) return null;
  const fromRoot = isAbsolute(path) ? relative(workspaceRoot, path).replace(/\\/g, '/') : path.replace(/\\/g, '/');
  const normalized = posix.normalize(fromRoot).replace(/^\.\//, '').replace(/\/$/, '');
  if (normalized === '' || normalized === '.' || normalized === '..' || normalized.startsWith('../') || isAbsolute(normalized)) return null;
  return normalized;
}

/** The project whose root holds every one of the paths (the deepest such root), or null. */
export function projectHolding(paths: string[], projects: Map<string, string>, workspaceRoot: string): string | null {
  const inWorkspace = paths.map((p) => workspacePath(p, workspaceRoot));
  if (!inWorkspace.length || inWorkspace.some((p) => p === null)) return null;
  let best: { name: string; depth: number } | null = null;
  for (const [name, root] of projects) {
    const holds = inWorkspace.every((p) => root === '.' || p!.startsWith(`${root}/`));
    const depth = root === '.' ? 0 : root.split('/').length;
    if (holds && (!best || depth > best.depth)) best = { name, depth };
  }
  return best?.name ?? null;
}
