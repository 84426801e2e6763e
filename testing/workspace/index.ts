/**
 * Real Nx workspaces for e2e tests and the demo, built by hand (package.json + nx.json + git init) around
 * the packed plugin tarball dist/nx-worktree-ai.tgz, never a path mapping into the source.
 *
 * Installing nx into every workspace is slow, so it is installed once per tarball and Nx version into a
 * template ($TMPDIR/nx-worktree-ai-e2e-template-<hash>) and each workspace gets the template's
 * node_modules through a symlink (see NodeModulesMode).
 *
 * Layout of one workspace (all outside the repository):
 *   <base>/workspace   the Nx workspace, a git repository
 *   <base>/nx-cache    NX_CACHE_DIRECTORY of every Nx run in it
 *   <base>/tmp         TMPDIR of every Nx run (so the plugin's worktrees stay outside the workspace)
 */
export { git, useWorktreeConfig } from '../temp';
export * from './defs';
export * from './template';
export * from './create';
export * from './nx';
export * from './results';
export * from './state';
