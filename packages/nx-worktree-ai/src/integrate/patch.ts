import { createHash } from 'node:crypto';

/** One side of a file in a patch: git mode and blob id (null: not on the index line, a mode-only change). */
export interface PatchSide {
  mode: string;
  oid: string | null;
}

/** One file of a `git diff-tree -p --binary --full-index` patch. */
export interface PatchFile {
  path: string;
  /** What the batch started from (null: the file did not exist). */
  before: PatchSide | null;
  /** What the batch made of it (null: the batch deleted it). */
  after: PatchSide | null;
  /** This file's part of the patch, from its `diff --git` line on. */
  text: string;
}

/** A patch that cannot tell base from result (abbreviated blob ids, a rename, no file header). */
export class PatchFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchFormatError';
  }
}

const ZERO = /^0+$/;
const FULL_OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Splits a change's patch into its files and reads, from each header, the pre-image and
 * post-image (mode and full blob id). That is what makes changes.patch enough on its own to
 * integrate a change in a clone that has none of the batch's commits.
 */
export function parsePatch(text: string): PatchFile[] {
  if (!text.trim()) return [];
  const blocks = text.split(/^(?=diff --git )/m).filter((b) => b.startsWith('diff --git '));
  if (!blocks.length) throw new PatchFormatError('no "diff --git" header');
  return blocks.map(parseBlock);
}

function parseBlock(block: string): PatchFile {
  const lines = block.split('\n');
  const path = headerPath(lines[0].slice('diff --git '.length));
  let oldMode: string | null = null;
  let newMode: string | null = null;
  let created = false;
  let deleted = false;
  let oids: [string, string] | null = null;
  for (const line of lines.slice(1)) {
    if (line.startsWith('--- ') || line.startsWith('GIT binary patch') || line.startsWith('Binary files ') || line.startsWith('@@')) break;
    let m: RegExpExecArray | null;
    if ((m = /^new file mode (\d+)$/.exec(line))) [created, newMode] = [true, m[1]];
    else if ((m = /^deleted file mode (\d+)$/.exec(line))) [deleted, oldMode] = [true, m[1]];
    else if ((m = /^old mode (\d+)$/.exec(line))) oldMode = m[1];
    else if ((m = /^new mode (\d+)$/.exec(line))) newMode = m[1];
    else if ((m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d+))?$/.exec(line))) {
      if (!FULL_OID.test(m[1]) || !FULL_OID.test(m[2])) throw new PatchFormatError(`abbreviated blob ids on the index line of ${path} (made without --full-index)`);
      oids = [m[1], m[2]];
      if (m[3]) oldMode = newMode = m[3];
    } else if (/^(rename|copy) (from|to) /.test(line)) throw new PatchFormatError(`${path} is a rename or copy`);
  }
  if (!oids && !(oldMode && newMode)) throw new PatchFormatError(`no index line for ${path}`);
  const before = created ? null : { mode: oldMode ?? newMode!, oid: oids && !ZERO.test(oids[0]) ? oids[0] : null };
  const after = deleted ? null : { mode: newMode ?? oldMode!, oid: oids && !ZERO.test(oids[1]) ? oids[1] : null };
  return { path, before, after, text: block.endsWith('\n') ? block : `${block}\n` };
}

/** The path of `a/<path> b/<path>` (the same on both sides: renames are off), C-quoted or not. */
function headerPath(rest: string): string {
  if (rest.startsWith('"')) {
    const { value } = unquote(rest, 0);
    return stripPrefix(value, 'a/');
  }
  // Unquoted: "a/<p> b/<p>" with the same <p> twice.
  const half = (rest.length - 1) / 2;
  if (!Number.isInteger(half) || rest[half] !== ' ') throw new PatchFormatError(`unreadable header "diff --git ${rest}"`);
  return stripPrefix(rest.slice(0, half), 'a/');
}

function stripPrefix(value: string, prefix: string): string {
  if (!value.startsWith(prefix)) throw new PatchFormatError(`header path ${JSON.stringify(value)} lacks the ${prefix} prefix`);
  return value.slice(prefix.length);
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** A C-quoted string as git writes paths (octal escapes are bytes of UTF-8). */
function unquote(text: string, start: number): { value: string; end: number } {
  const bytes: number[] = [];
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\') {
      const next = text[i + 1];
      if (/[0-7]/.test(next)) {
        bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 4;
      } else {
        bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
        i += 2;
      }
    } else {
      bytes.push(...Buffer.from(text[i]));
      i++;
    }
  }
  return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
}

/** The git blob id of `content` (sha1, or sha256 when the patch's ids are 64 digits long). */
export function blobOid(content: Buffer, like: string): string {
  const hash = createHash(like.length === 64 ? 'sha256' : 'sha1');
  hash.update(`blob ${content.length}\0`);
  hash.update(content);
  return hash.digest('hex');
}
