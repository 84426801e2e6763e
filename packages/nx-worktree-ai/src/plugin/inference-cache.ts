import { hashArray, type CreateNodesResult } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../utils/files';
import { isAbsolute, join } from 'node:path';

/** Bump when what inference returns for the same files changes meaning. */
const CACHE_FORMAT = 1;

export type InferredEntries = Array<[string, CreateNodesResult]>;

/**
 * What inference depends on, hashed into one key: the plugin's version, its options, the package
 * manager, and per batch file its path, content, project root and project name. A hit returns the
 * stored results without parsing a file or loading the validation code.
 */
export function inferenceKey(parts: { version: string; options: unknown; packageManager: string; rootIsProject: boolean; files: string[] }): string {
  return hashArray([String(CACHE_FORMAT), parts.version, JSON.stringify(parts.options ?? {}), parts.packageManager, String(parts.rootIsProject), ...parts.files]);
}

/**
 * The folder Nx keeps its own per-workspace data in (`nx reset` empties it), as Nx resolves it:
 * NX_WORKSPACE_DATA_DIRECTORY (or the older NX_PROJECT_GRAPH_CACHE_DIRECTORY), else `.nx/workspace-data`.
 */
export function workspaceDataDir(workspaceRoot: string): string {
  const configured = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  if (configured) return isAbsolute(configured) ? configured : join(workspaceRoot, configured);
  return join(workspaceRoot, '.nx', 'workspace-data');
}

/** One file per options hash: the key and the results of the last inference with those options. */
export function cacheFile(workspaceRoot: string, options: unknown): string {
  return join(workspaceDataDir(workspaceRoot), `nx-worktree-ai-${hashArray([JSON.stringify(options ?? {})])}.json`);
}

export function readCached(file: string, key: string): InferredEntries | undefined {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { key?: string; entries?: InferredEntries };
    return stored.key === key && Array.isArray(stored.entries) ? stored.entries : undefined;
  } catch {
    return undefined;
  }
}

/** Written to a temp file and renamed: Nx may run plugin workers of several commands at once. Best effort. */
export function writeCached(file: string, key: string, entries: InferredEntries): void {
  try {
    writeFileAtomic(file, JSON.stringify({ key, entries }));
  } catch {
    // A read-only or missing data folder only costs the next command a fresh inference.
  }
}
