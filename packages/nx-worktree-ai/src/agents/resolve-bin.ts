import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { oneLine, stderrSummary } from './format';
import { runAgentProcess } from './process';
import { createRedactor } from '../utils/redact';

const isWindows = process.platform === 'win32';
const VERSION_TIMEOUT_MS = 15_000;

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasPathSeparator(bin: string): boolean {
  return bin.includes('/') || (isWindows && bin.includes('\\'));
}

/** Windows finds `claude` as claude.cmd / claude.exe: try PATHEXT's extensions too. */
function candidates(dir: string, bin: string): string[] {
  const base = join(dir, bin);
  if (!isWindows) return [base];
  const extensions = (process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  return [base, ...extensions.map((ext) => base + ext.toLowerCase())];
}

function findIn(dirs: string[], bin: string): string | null {
  for (const dir of dirs) {
    // An empty PATH entry means the current directory: never search it implicitly.
    if (dir === '' || !isAbsolute(dir)) continue;
    const found = candidates(dir, bin).find(isExecutableFile);
    if (found) return found;
  }
  return null;
}

function lookup(bin: string, workspaceRoot: string): string | null {
  if (hasPathSeparator(bin)) {
    const path = resolve(workspaceRoot, bin);
    return isExecutableFile(path) ? path : null;
  }
  const pathDirs = (process.env.PATH ?? '').split(delimiter);
  return findIn([join(workspaceRoot, 'node_modules', '.bin'), ...pathDirs], bin);
}

/**
 * The absolute path of an agent CLI: `override` (a path, relative to the workspace root, or a bare
 * name looked up like `bin`), else <workspaceRoot>/node_modules/.bin/<bin>, else PATH. null when not
 * found; throws when an explicit override does not exist, since that is a configuration mistake.
 */
export function resolveAgentBin(bin: string, workspaceRoot: string, override?: string | null): string | null {
  if (override) {
    const found = lookup(override, workspaceRoot);
    if (!found) throw new Error(`agentBin "${override}" is not an executable file (looked in ${workspaceRoot}, node_modules/.bin and PATH)`);
    return found;
  }
  if (!bin) return null;
  return lookup(bin, workspaceRoot);
}

/**
 * First line `<path> <versionArgs>` prints, e.g. "2.1.330 (Claude Code)". null when the agent has no
 * version command (versionArgs empty). Throws a clear error when it fails or hangs. Its output is
 * redacted before it is cut (the credential variables of the environment).
 */
export async function agentVersion(path: string, versionArgs: string[], timeoutMs = VERSION_TIMEOUT_MS): Promise<string | null> {
  if (versionArgs.length === 0) return null;
  const shown = `\`${[path, ...versionArgs].join(' ')}\``;
  const lines: string[] = [];
  const result = await runAgentProcess({
    bin: path,
    args: versionArgs,
    env: {},
    stdin: null,
    cwd: process.cwd(),
    timeoutMs,
    killGraceMs: 500,
    onLine: (line) => lines.push(line),
    redact: createRedactor(process.env),
  });
  if (result.timedOut) throw new Error(`${shown} did not answer within ${timeoutMs / 1000}s: is the CLI waiting for a login or an update?`);
  const first = lines.find((line) => line.trim() !== '');
  if (result.exitCode !== 0) {
    const said = stderrSummary(result.stderrTail) + (first ? ` | ${first}` : '');
    throw new Error(`${shown} failed (${result.exitCode === null ? `killed by ${result.signal}` : `exit code ${result.exitCode}`}): ${said}`);
  }
  if (!first) throw new Error(`${shown} printed no version`);
  return oneLine(first, 200);
}
