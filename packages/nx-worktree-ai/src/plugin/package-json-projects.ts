import picomatch from 'picomatch';
import type { WorkspaceFiles } from './project-root';

/**
 * Which package.json files Nx itself makes projects (its package-json plugin): those matched by the
 * package manager's workspaces (package.json `workspaces` or `workspaces.packages`,
 * pnpm-workspace.yaml `packages`, lerna.json `packages`), the root package.json when it has an `nx`
 * key, and every one when NX_INFER_ALL_PACKAGE_JSONS=true. A package.json next to a project.json
 * belongs to that project anyway (the caller checks project.json first). The plugin puts targets
 * only on projects Nx has, never makes a folder a project by itself.
 */
export function packageJsonProjectMatcher(files: WorkspaceFiles): (packageJsonPath: string) => boolean {
  if (process.env.NX_INFER_ALL_PACKAGE_JSONS === 'true') return () => true;
  const patterns = workspacePatterns(files);
  const positive = patterns.filter((p) => !p.startsWith('!'));
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  // Nx: only exclusions (or only the root) means "every package.json but those".
  if (negative.length && (positive.length === 0 || (positive.length === 1 && positive[0] === 'package.json'))) positive.push('**/package.json');
  if (!positive.length) return () => false;
  const included = picomatch(positive);
  const excluded = negative.length ? picomatch(negative) : () => false;
  return (path) => included(path) && !excluded(path);
}

function workspacePatterns(files: WorkspaceFiles): string[] {
  const root = readObject(files, 'package.json', JSON.parse);
  if (!root) return [];
  const workspaces = root.workspaces as unknown;
  const patterns = listOf(Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | undefined)?.packages);
  if (files.exists('pnpm-workspace.yaml')) {
    patterns.push(...listOf(readObject(files, 'pnpm-workspace.yaml', (text) => (require('yaml') as typeof import('yaml')).parse(text))?.packages));
  }
  if (files.exists('lerna.json')) {
    const lerna = listOf(readObject(files, 'lerna.json', JSON.parse)?.packages);
    patterns.push(...(lerna.length ? lerna : ['packages/*']));
  }
  const normalized = patterns.map((p) => {
    const glob = p.endsWith('/package.json') ? p : `${p.replace(/\/$/, '')}/package.json`;
    return glob.replace(/^(!?)\.\//, '$1');
  });
  return root.nx ? [...normalized, 'package.json'] : normalized;
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function readObject(files: WorkspaceFiles, path: string, parse: (text: string) => unknown): Record<string, unknown> | undefined {
  try {
    const text = files.read(path);
    const value = text === null ? undefined : parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
