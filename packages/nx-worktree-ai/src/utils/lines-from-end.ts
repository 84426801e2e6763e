import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The lines of a file, last first, read in chunks from its end: a reader that wants only the
 * latest entries of an append-only log stops early instead of reading it whole. Nothing when the
 * file cannot be read. A line without a newline at the end (an append going on) is yielded too.
 */
export function* linesFromEnd(file: string, chunkBytes = 64 * 1024): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  try {
    let position = fstatSync(fd).size;
    // Bytes of the line cut by the last chunk read, kept until its start is read too (a multi-byte
    // character may be cut as well, so lines are decoded whole).
    let rest = Buffer.alloc(0);
    while (position > 0) {
      const size = Math.min(chunkBytes, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      readSync(fd, chunk, 0, size, position);
      const data = Buffer.concat([chunk, rest]);
      let end = data.length;
      while (end > 0) {
        const newline = data.lastIndexOf(10, end - 1);
        if (newline < 0) break;
        if (newline + 1 < end) yield data.toString('utf8', newline + 1, end);
        end = newline;
      }
      rest = data.subarray(0, end);
    }
    if (rest.length) yield rest.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
