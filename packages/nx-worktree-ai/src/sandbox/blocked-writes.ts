/** How a refused write reads in a shell, in Node, in Python, in git: EROFS in its usual spellings. */
const READ_ONLY = /read-only file system|EROFS/i;
/** Characters that end a path inside a message (quotes, JSON escapes, punctuation after it). */
const PATH_END = /["'`\s,;:)\]\\]/;

/**
 * Paths under `roots` (the user's workspace, its git dir) that the agent tried to write and the
 * sandbox refused, found in what the agent printed: its transcript lines (tool results carry the
 * shell's "Read-only file system") and its stderr. A confined agent cannot change those paths; that
 * it tried is still the reason its batch fails, named in its last line.
 */
export function blockedWrites(texts: Iterable<string>, roots: string[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!READ_ONLY.test(line)) continue;
      for (const root of roots) {
        let at = line.indexOf(`${root}/`);
        while (at !== -1) {
          const rest = line.slice(at);
          const end = rest.search(PATH_END);
          found.add(end === -1 ? rest : rest.slice(0, end));
          at = line.indexOf(`${root}/`, at + root.length + 1);
        }
        if (line.includes(`${root}"`) || line.includes(`${root}'`) || line.endsWith(root)) found.add(root);
      }
    }
  }
  return [...found].sort();
}
