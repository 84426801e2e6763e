import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AGENT_NAMES, type AgentName } from '../agents/names';
import { getAdapter } from '../agents/registry';
import { agentVersion, resolveAgentBin } from '../agents/resolve-bin';
import { TESTED_CLIS } from '../agents/tested';
import { coerce, lt, satisfies } from 'semver';
import { fail, info, ok, warn, type Check } from './check';
import { checkCredentials } from './credentials';
import type { WorkspaceUsage } from './usage';

/**
 * The agents the workspace uses (claude when it has no batch yet), or all of them with `all`:
 * CLI found, its version against the tested one, the Node its package declares, credentials.
 * Something missing for an agent in use fails; for one nobody uses it is only information.
 */
export async function checkAgents(root: string, usage: WorkspaceUsage, all: boolean): Promise<Check[]> {
  const used = usage.agents.size ? usage.agents : new Map<AgentName, string[]>([['claude', []]]);
  const names = all ? AGENT_NAMES.filter((n) => n !== 'command' || used.has(n)) : [...used.keys()];
  const checks: Check[] = [];
  for (const name of names) checks.push(...(await checkAgent(root, name, used.get(name), usage)));
  return checks;
}

async function checkAgent(root: string, name: AgentName, users: string[] | undefined, usage: WorkspaceUsage): Promise<Check[]> {
  const by = users === undefined ? 'not used here' : users.length ? `used by ${users.length > 3 ? `${users.slice(0, 3).join(', ')} and ${users.length - 3} more` : users.join(', ')}` : 'the default agent';
  if (name === 'command') {
    return [...usage.commands].map(([program, batches]) => {
      const found = resolveAgentBin(program, root);
      return found ? ok(`command ${program}`, `${found} (used by ${batches.join(', ')})`) : fail(`command ${program}`, `not found in node_modules/.bin or on PATH (used by ${batches.join(', ')})`);
    });
  }
  const adapter = getAdapter(name);
  const tested = TESTED_CLIS[name];
  const install = adapter.npmPackage ? `npm i -D ${adapter.npmPackage}${tested ? `@^${tested.version}` : ''}` : (adapter.install ?? `install ${adapter.bin}`);
  let bin: string | null;
  try {
    bin = resolveAgentBin(adapter.bin, root, usage.agentBin);
  } catch (e) {
    return [fail(name, (e as Error).message)];
  }
  if (!bin) {
    const missing = `${adapter.bin} not found in node_modules/.bin or on PATH (${by}): ${install}`;
    return [users === undefined ? info(name, missing) : fail(name, missing)];
  }
  const checks = [await versionCheck(name, bin, adapter.versionArgs, install, root, by)];
  const engines = enginesCheck(name, bin, adapter.npmPackage);
  if (engines) checks.push(engines);
  const credentials = checkCredentials(name);
  if (credentials) {
    const what = `${name} credentials`;
    if (credentials.found) checks.push(ok(what, credentials.found));
    else if (users === undefined || !credentials.certain) checks.push((users === undefined ? info : warn)(what, `none found: ${credentials.fix}`));
    else checks.push(fail(what, `none found: ${credentials.fix}`));
  }
  return checks;
}

async function versionCheck(name: AgentName, bin: string, versionArgs: string[], install: string, root: string, by: string): Promise<Check> {
  const where = relative(root, bin).startsWith('..') ? bin : relative(root, bin);
  const tested = TESTED_CLIS[name];
  let said: string | null;
  try {
    said = await agentVersion(bin, versionArgs);
  } catch (e) {
    return fail(name, `${where}: ${(e as Error).message}`);
  }
  const version = said ? (coerce(said)?.version ?? null) : null;
  if (!tested) return ok(name, `${version ?? said ?? 'version unknown'} at ${where} (${by}; no tested version: its argv and parser follow its documentation)`);
  const how = tested.how === 'run' ? 'tested' : 'argv checked against';
  if (!version) return warn(name, `at ${where} printed no version (${by}); ${how} ${tested.version}`);
  if (satisfies(version, `^${tested.version}`)) return ok(name, `${version} at ${where} (${by}; ${how} ${tested.version})`);
  const older = lt(version, tested.version);
  return warn(name, `${version} at ${where} (${by}) is ${older ? 'older than' : 'newer than the range of'} the ${how} ${tested.version}: ${install}`);
}

/** The Node range the CLI's own package declares (claude 2.1.330: >= 22), against this Node. */
export function enginesCheck(name: AgentName, bin: string, npmPackage: string | null, nodeVersion = process.versions.node): Check | null {
  const pkg = npmPackage ? packageOf(bin, npmPackage) : null;
  const range = pkg?.engines?.node;
  if (!pkg || !range || satisfies(nodeVersion, range)) return null;
  return warn(
    `${name} on Node`,
    `${npmPackage}@${pkg.version} declares Node ${range} and this is Node ${nodeVersion}: ${name === 'claude' ? 'it runs (a native binary; this plugin\'s tests run claude 2.1.330 on Node 20.20)' : 'it may still run'}, ` +
      `but npm on this Node installs an older release unless the version is given (${npmPackage}@^${TESTED_CLIS[name]?.version ?? pkg.version}); Node 22 avoids both`,
  );
}

/** The package.json of `name` that holds the CLI (the bin's real path lies inside it). */
function packageOf(bin: string, name: string): { version: string; engines?: { node?: string } } | null {
  let dir: string;
  try {
    dir = dirname(realpathSync(bin));
  } catch {
    return null;
  }
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8'));
        if (pkg.name === name) return pkg;
      } catch {
        return null;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}
