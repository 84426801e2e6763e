import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENT_FILES_DIR } from './names';
import type { AgentRunRequest } from './types';
import { writeFileAtomic } from '../utils/files';

/**
 * Where the adapter keeps gemini files of its own: beside the prompt file, in the folder of the
 * worktrees (outside the workspace). Their names hash their content, so they are shared by the runs
 * that need the same ones, written once, never removed while a run may use them, and bounded.
 */
export function geminiFilesDir(request: Pick<AgentRunRequest, 'promptFile'>): string {
  return join(dirname(request.promptFile), AGENT_FILES_DIR, 'gemini');
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A name beside `path` that no other process uses: built there, then renamed into place. */
export function stagingPath(path: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes `file` unless it exists (atomically: a concurrent reader never sees half of it). Returns `file`. */
export function writeOnce(file: string, content: string): string {
  if (!existsSync(file)) writeFileAtomic(file, content);
  return file;
}
