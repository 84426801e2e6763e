import { readJsonFile } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';

/** The files that make a folder an Nx project root (Nx refuses a root without one: "no name provided"). */
export const PROJECT_FILES = ['project.json', 'package.json'] as const;

/**
 * Finds project roots and names the way Nx does, with a cache for one createNodes call.
 * Paths are posix and relative to the workspace root; the workspace root itself is '.'.
 */
export class ProjectLocator {
  private readonly roots = new Map<string, string | null>();
  private readonly names = new Map<string, string>();

  constructor(private readonly workspaceRoot: string) {}

  /** The nearest folder at or above `file`'s folder (never above the workspace root) with a project.json or package.json. */
  rootOf(file: string): string | null {
    return this.rootOfDir(posix.dirname(file));
  }

  private rootOfDir(dir: string): string | null {
    const cached = this.roots.get(dir);
    if (cached !== undefined) return cached;
    let root: string | null;
    if (PROJECT_FILES.some((f) => existsSync(join(this.workspaceRoot, dir, f)))) root = dir;
    else root = dir === '.' ? null : this.rootOfDir(posix.dirname(dir));
    this.roots.set(dir, root);
    return root;
  }

  /**
   * The name Nx gives the project at `root`: project.json `name`, else package.json `nx.name` or
   * `name`, else (as Nx does for a project.json without a name) the folder name in lower case.
   */
  nameOf(root: string): string {
    let name = this.names.get(root);
    if (name === undefined) {
      const projectJson = readJson(join(this.workspaceRoot, root, 'project.json'));
      const packageJson = readJson(join(this.workspaceRoot, root, 'package.json'));
      name =
        asName(projectJson?.name) ??
        asName((packageJson?.nx as Record<string, unknown> | undefined)?.name) ??
        asName(packageJson?.name) ??
        posix.basename(root).toLowerCase();
      this.names.set(root, name);
    }
    return name;
  }
}

function asName(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** Reads a JSON file (comments allowed, as Nx does), or undefined when missing or invalid (Nx reports that itself). */
function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value: unknown = readJsonFile(path);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Is `inner` the same folder as `outer` or inside it? ('.' contains everything.) */
export function rootContains(outer: string, inner: string): boolean {
  return outer === '.' || inner === outer || inner.startsWith(`${outer}/`);
}
