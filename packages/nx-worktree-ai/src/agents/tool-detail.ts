import { isAbsolute, relative, sep } from 'node:path';
import { oneLine } from './format';

const COMMAND_MAX = 80;

/** Tools that change files: a refused one means the batch did not do its work. */
export const WRITE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

/** A path relative to `cwd` when inside it (posix separators); anything else unchanged. */
export function relativeToCwd(path: string, cwd: string | null): string {
  if (!cwd || !isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return path;
  return rel.split(sep).join('/');
}

function field(input: Record<string, unknown>, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = input[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return null;
}

/** Short human detail of a Claude-style tool call: the file for file tools, the command for Bash, ... */
export function toolDetail(tool: string, input: unknown, cwd: string | null): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const args = input as Record<string, unknown>;
  switch (tool) {
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
    case 'Read':
    case 'NotebookEdit': {
      const path = field(args, 'file_path', 'notebook_path', 'path');
      return path === null ? null : relativeToCwd(path, cwd);
    }
    case 'Bash': {
      const command = field(args, 'command');
      return command === null ? null : oneLine(command, COMMAND_MAX);
    }
    case 'Grep':
    case 'Glob': {
      const pattern = field(args, 'pattern');
      const path = field(args, 'path');
      if (pattern === null) return null;
      return path === null ? oneLine(pattern, COMMAND_MAX) : `${oneLine(pattern, COMMAND_MAX)} in ${relativeToCwd(path, cwd)}`;
    }
    case 'WebFetch':
      return field(args, 'url');
    case 'WebSearch':
      return field(args, 'query');
    case 'Task':
    case 'Agent': {
      const description = field(args, 'description');
      return description === null ? null : oneLine(description, COMMAND_MAX);
    }
    default:
      return null;
  }
}

/**
 * Short human detail of another CLI's tool call (opencode `filePath`, qwen `file_path`, copilot
 * `path`, shells' `command`): the file when there is one, else the command, pattern, url or query.
 */
export function genericToolDetail(input: unknown, cwd: string | null): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const args = input as Record<string, unknown>;
  const path = field(args, 'file_path', 'filePath', 'absolute_path', 'path', 'notebook_path', 'target_file');
  if (path !== null) return relativeToCwd(path, cwd);
  const command = field(args, 'command', 'cmd');
  if (command !== null) return oneLine(command, COMMAND_MAX);
  const rest = field(args, 'pattern', 'url', 'query', 'description');
  return rest === null ? null : oneLine(rest, COMMAND_MAX);
}
