import { parseJson } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { packageJsonProjectMatcher } from './package-json-projects';

/**
 * How the plugin reads the workspace: the disk when Nx infers targets, a generator's Tree when the
 * plan generator checks the files it is about to write. Paths are posix, from the workspace root.
 */
export interface WorkspaceFiles {
  exists(path: string): boolean;
  /** The file's text, or null when it does not exist. */
  read(path: string): string | null;
}

export function diskFiles(workspaceRoot: string): WorkspaceFiles {
  return {
    exists: (path) => existsSync(join(workspaceRoot, path)),
    read: (path) => {
      try {
        return readFileSync(join(workspaceRoot, path), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
  };
}

/** The same reads, each done once (the inference key and the analysis both look at every file). */
export function memoFiles(files: WorkspaceFiles): WorkspaceFiles {
  const texts = new Map<string, string | null>();
  const exists = new Map<string, boolean>();
  return {
    exists: (path) => {
      let value = exists.get(path);
      if (value === undefined) exists.set(path, (value = texts.has(path) ? texts.get(path) !== null : files.exists(path)));
      return value;
    },
    read: (path) => {
      let value = texts.get(path);
      if (value === undefined) texts.set(path, (value = files.read(path)));
      return value;
    },
  };
}

/** A path Nx passed (posix or not, maybe with a leading ./) as the plugin keys it: posix from the workspace root. */
export function toPosix(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

/** The files that make a folder an Nx project root (Nx refuses a root without one: "no name provided"). */
export const PROJECT_FILES = ['project.json', 'package.json'] as const;

/**
 * Finds project roots and names the way Nx does, with a cache for one createNodes call.
 * Paths are posix and relative to the workspace root; the workspace root itself is '.'.
 */
export class ProjectLocator {
  private readonly roots = new Map<string, string | null>();
  private readonly names = new Map<string, string>();
  private isPackageProject?: (packageJsonPath: string) => boolean;

  private readonly files: WorkspaceFiles;
  constructor(workspaceRoot: string, files?: WorkspaceFiles) {
    this.files = files ?? diskFiles(workspaceRoot);
  }

  /** The nearest folder at or above `file`'s folder (never above the workspace root) that is a project of Nx. */
  rootOf(file: string): string | null {
    return this.rootOfDir(posix.dirname(file));
  }

  /** A project.json, or a package.json that Nx makes a project (package-json-projects.ts). */
  isProjectRoot(dir: string): boolean {
    if (this.files.exists(posix.join(dir, 'project.json'))) return true;
    const packageJson = posix.join(dir, 'package.json');
    if (!this.files.exists(packageJson)) return false;
    this.isPackageProject ??= packageJsonProjectMatcher(this.files);
    return this.isPackageProject(packageJson);
  }

  private rootOfDir(dir: string): string | null {
    const cached = this.roots.get(dir);
    if (cached !== undefined) return cached;
    let root: string | null;
    if (this.isProjectRoot(dir)) root = dir;
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
      const projectJson = readJson(this.files, posix.join(root, 'project.json'));
      const packageJson = readJson(this.files, posix.join(root, 'package.json'));
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
function readJson(files: WorkspaceFiles, path: string): Record<string, unknown> | undefined {
  try {
    const text = files.read(path);
    if (text === null) return undefined;
    const value: unknown = parseJson(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Is `inner` the same folder as `outer` or inside it? ('.' contains everything.) */
export function rootContains(outer: string, inner: string): boolean {
  return outer === '.' || inner === outer || inner.startsWith(`${outer}/`);
}
