import { readdirSync, readFileSync } from 'node:fs';

/** A file's text, or null when it cannot be read (absent, a folder, no permission). */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A folder's entry names, sorted; none when it cannot be read. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
