import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The home gemini would use: GEMINI_CLI_HOME when set, else the user's home. */
export function geminiUserHome(env: NodeJS.ProcessEnv): string {
  return env.GEMINI_CLI_HOME || homedir();
}

/**
 * The file gemini recorded a session in: `<home>/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`
 * whose first line names the session id. The newest when there are several; null when none.
 */
export function findGeminiSessionFile(userHome: string, sessionId: string): string | null {
  const tmp = join(userHome, '.gemini', 'tmp');
  const suffix = `-${sessionId.slice(0, 8)}.jsonl`;
  let best: { file: string; mtime: number } | null = null;
  for (const project of entries(tmp)) {
    const chats = join(tmp, project, 'chats');
    for (const name of entries(chats)) {
      if (!name.startsWith('session-') || !name.endsWith(suffix)) continue;
      const file = join(chats, name);
      try {
        const first = readFileSync(file, 'utf8').split('\n', 1)[0];
        if ((JSON.parse(first) as { sessionId?: unknown }).sessionId !== sessionId) continue;
        const mtime = statSync(file).mtimeMs;
        if (!best || mtime > best.mtime) best = { file, mtime };
      } catch {
        // unreadable or not a session file
      }
    }
  }
  return best?.file ?? null;
}

/** A folder's entries; none when it cannot be read. */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
