import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; the rest of a longer line is dropped (the line still ends where it ends). */
export const DEFAULT_MAX_LINE_CHARS = 32 * 1024 * 1024;

/**
 * Splits a byte stream into lines: chunks may end mid-line or mid-character, lines may end in CRLF.
 * Pieces of a pending line are kept in an array so a huge line costs one join, not one copy per chunk.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.append(text.slice(start, nl));
      this.flushLine();
      start = nl + 1;
    }
    if (start < text.length) this.append(text.slice(start));
  }

  /** Emits the last line when the stream did not end with a newline. */
  end(): void {
    this.append(this.decoder.end());
    if (this.pendingChars > 0) this.flushLine();
  }

  private append(piece: string): void {
    const room = this.maxLineChars - this.pendingChars;
    if (piece.length === 0 || room <= 0) return;
    const kept = piece.length > room ? piece.slice(0, room) : piece;
    this.pending.push(kept);
    this.pendingChars += kept.length;
  }

  private flushLine(): void {
    let line = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.emit(line);
  }
}

/** Keeps the last `maxChars` characters of a stream (stderr, for error messages). */
export class TailBuffer {
  private readonly decoder = new StringDecoder('utf8');
  private text = '';

  constructor(private readonly maxChars = 8 * 1024) {}

  push(chunk: Buffer | string): void {
    this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // Trim lazily so a stream of tiny chunks does not re-slice on every write.
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }

  toString(): string {
    return this.text.length > this.maxChars ? this.text.slice(-this.maxChars) : this.text;
  }
}
