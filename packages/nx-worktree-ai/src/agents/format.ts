/** Shared text helpers for progress lines and failure messages. */

/** `text` on one line (whitespace and newlines collapsed), cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), max);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/** 1200000 -> "20m", 5400000 -> "1h30m", 90000 -> "1m30s", 1500 -> "1.5s", 250 -> "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('');
}

/** 1234567 -> "1,234,567". By hand: the first toLocaleString of a process loads ICU data (~80 ms). */
export function formatCount(n: number): string {
  const [whole, fraction] = String(Math.abs(n)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** $0.0123 below a dollar (agents cost fractions of a cent per call), $1.23 above. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** The last few lines of a stderr tail, for a one-line error message. */
export function stderrSummary(stderrTail: string, maxChars = 600): string {
  const lines = stderrTail.trim().split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return 'nothing on stderr';
  const tail = lines.slice(-5).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
