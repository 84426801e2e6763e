import type * as Devkit from '@nx/devkit';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contentHash, stagingPath } from './gemini-files';
import { isRecord } from './json';
import type { GeminiOptions } from './options';
import type { AgentRunRequest } from './types';

/** Folders of ~/.gemini that gemini writes during a run and that must outlive it. */
const GEMINI_STATE_DIRS = ['tmp', 'history'];

/** settings.json entries of this run (batch `gemini.settings`, then maxTurns), or null when there are none. */
export function geminiRunSettings(request: Pick<AgentRunRequest, 'maxTurns' | 'options'>): Record<string, unknown> | null {
  const options = request.options as GeminiOptions;
  let settings: Record<string, unknown> = options.settings ? { ...options.settings } : {};
  if (request.maxTurns !== null) settings = deepMerge(settings, { model: { maxSessionTurns: request.maxTurns } });
  return Object.keys(settings).length ? settings : null;
}

/**
 * A GEMINI_CLI_HOME that is the user's own except for settings.json: `<home>/.gemini` holds a
 * symlink to every entry of `<userHome>/.gemini` (credentials, sessions for resuming, GEMINI.md,
 * policies, ...) and a settings.json that is the user's with `settings` merged over it;
 * `<home>/.agents` links the user's. gemini takes maxSessionTurns only from a settings file, and it
 * skips system settings files unless they and every parent folder are owned by root, so this is how
 * a batch sets it without writing the user's settings. The overlay is made once per user home and
 * merged settings, under `dir`, named by their hash; each run adds links to entries the user's
 * .gemini gained since. Files gemini creates at the top of .gemini (a first projects.json) stay in
 * the overlay. Returns the overlay home.
 */
export function prepareGeminiHome(dir: string, userHome: string, settings: Record<string, unknown>): string {
  const own = join(userHome, '.gemini');
  // Where gemini keeps sessions (tmp/<project>/chats) and shell history: created as gemini itself
  // would on its first run, so what a run records outlives the overlay (resuming needs it).
  for (const kept of GEMINI_STATE_DIRS) mkdirSync(join(own, kept), { recursive: true });
  const merged = `${JSON.stringify(deepMerge(readSettings(join(own, 'settings.json')), settings), null, 2)}\n`;
  const home = join(dir, `home-${contentHash(`${resolve(userHome)}\0${merged}`)}`);
  if (!existsSync(join(home, '.gemini', 'settings.json'))) {
    // Built aside and renamed into place: concurrent runs never see a half-made overlay.
    const staging = stagingPath(home);
    mkdirSync(join(staging, '.gemini'), { recursive: true });
    writeFileSync(join(staging, '.gemini', 'settings.json'), merged);
    try {
      renameSync(staging, home);
    } catch {
      // another run made it first: use theirs
      rmSync(staging, { recursive: true, force: true });
    }
  }
  for (const name of readdirSync(own)) if (name !== 'settings.json') link(join(own, name), join(home, '.gemini', name));
  const agents = join(userHome, '.agents');
  if (existsSync(agents)) link(agents, join(home, '.agents'));
  return home;
}

/** A symlink to `target` at `path` unless something is there already (another run's link). */
function link(target: string, path: string): void {
  try {
    // Windows: a junction for folders needs no privilege.
    symlinkSync(target, path, process.platform === 'win32' && statSync(target).isDirectory() ? 'junction' : undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A settings.json (JSON with comments and trailing commas, as gemini reads it); {} when absent or unreadable. */
export function readSettings(file: string): Record<string, unknown> {
  try {
    // @nx/devkit loads on use: importing it costs every batch's worker ~80 ms of CPU, gemini or not.
    const { parseJson } = require('@nx/devkit') as typeof Devkit;
    const parsed: unknown = parseJson(readFileSync(file, 'utf8'));
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isRecord(value) && isRecord(out[key]) ? deepMerge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}
