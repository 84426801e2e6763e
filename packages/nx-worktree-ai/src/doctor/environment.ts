import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxTool } from '../sandbox/available';
import { coerce, lt, satisfies } from 'semver';
import { gitRaw } from '../worktree/git';
import { readRepoInfo } from '../worktree/repo';
import { fail, ok, warn, type Check } from './check';

const PLUGIN = 'nx-worktree-ai';
/** Sparse worktrees use cone-mode patterns (git 2.25). */
const GIT_MINIMUM = '2.25.0';

/** This package's package.json (dist/doctor/ and src/doctor/ are both two levels below it). */
export function ownPackage(): { version: string; engines?: { node?: string }; peerDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
}

export function checkNode(nodeVersion = process.versions.node): Check {
  const range = ownPackage().engines?.node ?? '';
  if (range && !satisfies(nodeVersion, range)) {
    return fail('Node', `${nodeVersion}; nx-worktree-ai needs ${range}: install Node 22 (nvm install 22)`);
  }
  return ok('Node', `${nodeVersion} (nx-worktree-ai needs ${range})`);
}

export async function checkGit(cwd: string): Promise<Check> {
  let text: string;
  try {
    text = (await gitRaw(cwd, ['--version'])).stdout.toString('utf8').trim();
  } catch (e) {
    return fail('git', `not found or not working (${(e as Error).message.split('\n')[0]}): install git ${GIT_MINIMUM} or newer`);
  }
  const version = coerce(text)?.version;
  if (!version) return warn('git', `${text}: no version in what git --version printed; sparse worktrees need git ${GIT_MINIMUM} or newer`);
  if (lt(version, GIT_MINIMUM)) return warn('git', `${version}: sparse worktrees need git ${GIT_MINIMUM} or newer; upgrade git`);
  return ok('git', version);
}

/** Nx installed in the workspace, within the plugin's peer range. */
export function checkNx(root: string): Check {
  const range = ownPackage().peerDependencies?.nx ?? '';
  let version: string;
  try {
    version = JSON.parse(readFileSync(require.resolve('nx/package.json', { paths: [root] }), 'utf8')).version;
  } catch {
    return fail('Nx', `not installed in ${root}: npm i -D nx`);
  }
  if (range && !satisfies(version, range)) {
    return fail('Nx', `${version}; nx-worktree-ai supports nx ${range}: npm i -D nx@24`);
  }
  return ok('Nx', `${version} (supported: ${range})`);
}

/** A git repository with a commit, whose top level is the Nx workspace root. */
export async function checkRepository(root: string): Promise<Check> {
  try {
    const repo = await readRepoInfo(root);
    return ok('git repository', `${repo.topLevel}, HEAD ${repo.head.slice(0, 12)}`);
  } catch (e) {
    return fail('git repository', (e as Error).message);
  }
}

/** The plugin in nx.json `plugins`, or no batch gets a target. */
export function checkRegistered(root: string): Check {
  const file = join(root, 'nx.json');
  if (!existsSync(file)) return fail('nx.json', `not found in ${root}: run the command in an Nx workspace (or pass --root)`);
  let plugins: Array<string | { plugin?: string }> = [];
  try {
    plugins = JSON.parse(readFileSync(file, 'utf8')).plugins ?? [];
  } catch (e) {
    return fail('nx.json', `cannot be read: ${(e as Error).message}`);
  }
  if (plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN)) return ok('plugin', `${PLUGIN} is registered in nx.json`);
  return fail('plugin', `${PLUGIN} is not in nx.json "plugins", so batch files get no targets: run npx nx g ${PLUGIN}:init`);
}

/** The OS sandbox; required only when a batch or the targetDefaults say `sandbox: required`. */
export function checkSandbox(required: string[]): Check {
  const tool = sandboxTool();
  if (tool.available) return ok('sandbox', `bubblewrap (${tool.bwrap}): agents run confined to their worktree`);
  if (required.length) return fail('sandbox', `${tool.reason}; required by ${required.join(', ')}`);
  return warn('sandbox', `${tool.reason}; until then each batch runs unconfined (sandbox: auto) and says so`);
}
