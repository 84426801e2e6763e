/** What an e2e workspace is made of: the plugin's names, the definitions of projects and batches, small path helpers. */
import { createHash } from 'node:crypto';
import { join, resolve, sep } from 'node:path';

/** The repository checkout this file belongs to (this file is in testing/workspace/). */
export const REPO_ROOT = resolve(__dirname, '../..');
/** The tarball e2e workspaces install (override: NX_WORKTREE_AI_E2E_TARBALL=/path/to/other.tgz). */
export const DEFAULT_TARBALL = process.env.NX_WORKTREE_AI_E2E_TARBALL || join(REPO_ROOT, 'dist', 'nx-worktree-ai.tgz');
/** The Nx version e2e workspaces install (override: NX_WORKTREE_AI_E2E_NX_VERSION=23.2.1 ...). */
export const NX_VERSION = process.env.NX_WORKTREE_AI_E2E_NX_VERSION || '24.0.6';
export const PLUGIN_NAME = 'nx-worktree-ai';
export const ARTIFACTS_DIR = '.nx-worktree-ai';

export interface ProjectDef {
  /** Project root from the workspace root, e.g. libs/auth. */
  root: string;
  /** Files to create, paths relative to the project root. */
  files?: Record<string, string>;
  /** Extra project.json fields (name and root are set). */
  projectJson?: Record<string, unknown>;
}

/** A `<name>.ai.md` batch file. */
export interface BatchDef {
  project: string;
  name: string;
  /** Folder of the batch file, relative to the project root. Default: `ai`. */
  dir?: string;
  /** The frontmatter of a batch file (README "The batch file"); written as YAML. */
  frontmatter: Record<string, unknown>;
  /** The prompt (markdown). */
  prompt: string;
}

/**
 * How a workspace gets its node_modules from the template:
 * - `symlink`: `<ws>/node_modules` -> `<template>/node_modules` (default; ~1 ms, measured and verified
 *   in e2e: Nx resolves the plugin and its dependencies through the link).
 * - `copy`: a full copy (fs.cpSync), for when something must not see a symlink.
 */
export type NodeModulesMode = 'symlink' | 'copy';

export interface CreateWorkspaceOptions {
  projects: Record<string, ProjectDef>;
  batches?: BatchDef[];
  /** Extra files, paths from the workspace root. */
  files?: Record<string, string>;
  /** Default: dist/nx-worktree-ai.tgz of this repository (run `npm run pack` first). */
  tarball?: string;
  nxVersion?: string;
  /**
   * How the plugin is registered in nx.json:
   * - `generator`: run the real `nx g nx-worktree-ai:init` (default when the package has an init generator);
   * - `nx-json`: write `plugins: ['nx-worktree-ai']` by hand;
   * - `none`: leave the plugin out.
   */
  init?: 'generator' | 'nx-json' | 'none';
  nodeModules?: NodeModulesMode;
  /** Prefix of the temp directory. */
  prefix?: string;
  /** Progress lines (template install, init). */
  log?: (line: string) => void;
}

export interface Workspace {
  /** The workspace root (a git repository, an Nx workspace). */
  root: string;
  /** Temp directory holding root, cacheDir and tmpDir; remove() deletes it. */
  base: string;
  cacheDir: string;
  tmpDir: string;
  template: string;
  projects: Record<string, ProjectDef>;
  batches: BatchDef[];
  /** Timings of creation, in ms. */
  timings: { template: number; nodeModules: number; init: number; total: number };
  remove(): void;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function posix(p: string): string {
  return p.split(sep).join('/');
}
