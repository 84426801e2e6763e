import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` (recursive). */
export function filesBelow(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out = statSync(path).isDirectory() ? out.concat(filesBelow(path)) : out.concat(path);
  }
  return out;
}

/** Every object of the repository printed (blobs, trees, commits with messages and trailers): what any ref, pushed or fetched, could carry. */
export function allGitObjects(root: string): string {
  return execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: root, maxBuffer: 256 * 1024 * 1024 }).toString('latin1');
}

/** Where `secret` appears: files below `dir`, git objects of `repo`, `output`. Empty when nowhere. */
export function leaksOf(secret: string, where: { dir?: string; repo?: string; output?: string }): string[] {
  const found: string[] = [];
  if (where.dir) for (const file of filesBelow(where.dir)) if (readFileSync(file, 'latin1').includes(secret)) found.push(file);
  if (where.repo) {
    if (allGitObjects(where.repo).includes(secret)) found.push(`git objects of ${where.repo}`);
    const log = execFileSync('git', ['log', '-p', '--all'], { cwd: where.repo, maxBuffer: 256 * 1024 * 1024 }).toString('latin1');
    if (log.includes(secret)) found.push(`git log -p --all of ${where.repo}`);
  }
  if (where.output?.includes(secret)) found.push('terminal output');
  return found;
}
