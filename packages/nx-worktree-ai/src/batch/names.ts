import { expandBraces } from './globs';

export const BATCH_FILE_SUFFIX = '.ai.md';

/** `<name>.ai.md` → `<name>`. */
export function batchNameFromFile(file: string): string {
  const base = file.split('/').pop()!;
  return base.slice(0, -BATCH_FILE_SUFFIX.length);
}

/**
 * Input hardening. Project and batch names become git branch names (`ai/<project>/<batch>`), ref
 * names, folder names (`.nx-worktree-ai/<project>/<batch>`, which a run deletes and rewrites) and
 * arguments of git and agent command lines; paths and globs select what a batch may write. A value
 * that could be read as an option (`--upload-pack=...`), climb out of its folder (`..`, an absolute
 * path), or hide what it is (control or bidirectional-override characters) is refused before
 * anything runs, with a message that says what is allowed. Each function returns the problem as a
 * phrase ("starts with ...") or null.
 */

/** C0/C1 controls, DEL, and the bidirectional overrides/isolates that can make text read differently than it is. */
const HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function hiddenCharProblem(value: string): string | null {
  const m = HIDDEN_CHARS.exec(value);
  return m ? `contains the control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/** A project name: what Nx calls the project (npm scopes included: `@acme/ui`). */
const PROJECT_NAME_CHARS = /^[A-Za-z0-9@._+/-]+$/;

export function projectNameProblem(name: string): string | null {
  if (!name) return 'is empty';
  const hidden = hiddenCharProblem(name);
  if (hidden) return hidden;
  if (name.startsWith('-')) return 'starts with "-" (it could be read as a command-line option)';
  if (!PROJECT_NAME_CHARS.test(name)) return 'may use only letters, digits, "@", ".", "_", "+", "-" and "/" (between scope and name)';
  for (const segment of name.split('/')) {
    if (segment === '') return 'has an empty part (a leading, trailing or double "/")';
    if (segment === '.' || segment === '..') return `has a "${segment}" part (it would name another folder)`;
    if (segment.startsWith('.')) return 'has a part that starts with "." (not allowed in git branch names)';
    if (segment.endsWith('.lock') || segment.endsWith('.')) return 'has a part that ends with ".lock" or "." (not allowed in git branch names)';
  }
  if (name.includes('..') || name.includes('@{') || name === '@') return 'contains "..", "@{" or is "@" (not allowed in git branch names)';
  return null;
}

/** A batch name (the file name without .ai.md). */
export const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function batchNameProblem(name: string): string | null {
  if (!name) return 'is empty';
  const hidden = hiddenCharProblem(name);
  if (hidden) return hidden;
  if (!BATCH_NAME.test(name)) return 'must start with a letter or digit and use only letters, digits, ".", "_" and "-"';
  if (name.includes('..')) return 'contains ".." (not allowed in git branch names)';
  if (name.endsWith('.lock') || name.endsWith('.')) return 'ends with ".lock" or "." (not allowed in git branch names)';
  return null;
}

/** `/x`, `C:x`, `\\server`; a path (not a glob) also `\x`, root-relative on Windows. In a glob `\` escapes. */
function isAbsoluteAnywhere(path: string, glob = false): boolean {
  return path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith(glob ? '\\\\' : '\\');
}

/**
 * A path from a git tree that the plugin itself writes into the workspace: no empty, `.` or `..`
 * part, no `.git` part (any case), not absolute, no backslash or control character. Git refuses to
 * check such paths out; a result from a poisoned cache could still carry them.
 */
export function treePathProblem(path: string): string | null {
  if (!path) return 'is empty';
  const hidden = hiddenCharProblem(path);
  if (hidden) return hidden;
  if (path.includes('\\')) return 'contains a backslash';
  if (isAbsoluteAnywhere(path)) return 'is absolute';
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') return `has a "${part}" part`;
    if (part.toLowerCase() === '.git') return 'has a .git part';
  }
  return null;
}

/** A path relative to the workspace (or project) root that must stay below it. */
export function relativePathProblem(path: string): string | null {
  if (!path) return 'is empty';
  const hidden = hiddenCharProblem(path);
  if (hidden) return hidden;
  if (path.startsWith('-')) return 'starts with "-" (it could be read as a command-line option)';
  if (isAbsoluteAnywhere(path)) return 'is absolute (it must be relative to the root)';
  if (path.split(/[\\/]/).includes('..')) return 'contains ".." (it must stay inside the root)';
  return null;
}

/**
 * A glob relative to a root: no leading "/" or "-", no ".." part in any of its brace expansions
 * (`{..,src}/**` climbs out too), no control characters. `\` stays an escape character.
 */
export function globProblem(glob: string): string | null {
  if (!glob) return 'is empty';
  const hidden = hiddenCharProblem(glob);
  if (hidden) return hidden;
  if (glob.startsWith('-')) return 'starts with "-" (it could be read as a command-line option)';
  for (const expansion of expandBraces(glob) ?? [glob]) {
    if (isAbsoluteAnywhere(expansion, true)) return `is absolute${expansion !== glob ? ` (as ${expansion})` : ''} (it must be relative to the project root)`;
    if (expansion.split('/').includes('..')) return `contains ".."${expansion !== glob ? ` (as ${expansion})` : ''} (it must stay inside the project)`;
    if (expansion.split('/').some((part) => part.toLowerCase() === '.git')) return 'names a .git folder (git state is never a batch output)';
  }
  return null;
}

/** A `context` entry: `{workspaceRoot}/<glob>`, `{projectRoot}/<glob>` or a project-relative glob, optionally negated. */
export function contextEntryProblem(entry: string): string | null {
  const positive = entry.startsWith('!') ? entry.slice(1) : entry;
  const rest = positive.replace(/^\{(workspaceRoot|projectRoot)\}\//, '');
  return globProblem(rest);
}

/** A model name: passed as the value of `--model`, so never something that looks like an option. */
export function modelProblem(model: string): string | null {
  const hidden = hiddenCharProblem(model);
  if (hidden) return hidden;
  if (model.startsWith('-')) return 'starts with "-" (it could be read as a command-line option)';
  if (/\s/.test(model)) return 'contains whitespace';
  return null;
}

/** An environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws `Error("<what> "<value>" <problem>")` when `problem` is not null. */
export function assertValid(what: string, value: string, problem: string | null): void {
  if (problem) throw new InvalidInputError(`${what} ${JSON.stringify(value)} ${problem}.`);
}

/** A name or path refused before anything ran. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** `text` with hidden characters shown as \u escapes, for echoing untrusted names to a terminal. */
export function printable(text: string): string {
  return text.replace(new RegExp(HIDDEN_CHARS.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
