import type { TomlValue } from './options';

/** A value as TOML source, for `-c key=value` (strings quoted, maps as inline tables). */
export function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`codex config: ${value} has no TOML form`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)} = ${tomlValue(v)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

/**
 * Reads the TOML value of a codex `-c key=value` argument (what `tomlValue` below writes, and
 * what users write in agentArgs): strings (basic and literal), numbers, booleans, arrays and inline
 * tables. Returns null when the text is not one TOML value; codex then takes it as a plain string.
 */
export function parseTomlValue(text: string): TomlValue | null {
  const reader = { text, at: 0 };
  try {
    const value = readValue(reader);
    skipSpace(reader);
    return reader.at === text.length ? value : null;
  } catch {
    return null;
  }
}

/** `a.b."c.d"` -> ['a', 'b', 'c.d']; null when it is not a dotted TOML key. */
export function parseTomlKey(text: string): string[] | null {
  const reader = { text, at: 0 };
  try {
    const key = readKey(reader);
    skipSpace(reader);
    return reader.at === text.length ? key : null;
  } catch {
    return null;
  }
}

interface Reader {
  text: string;
  at: number;
}

function fail(): never {
  throw new Error('not TOML');
}

function skipSpace(r: Reader): void {
  while (r.at < r.text.length && /[ \t\r\n]/.test(r.text[r.at])) r.at++;
}

function readValue(r: Reader): TomlValue {
  skipSpace(r);
  const c = r.text[r.at];
  if (c === '"') return readBasicString(r);
  if (c === "'") return readLiteralString(r);
  if (c === '[') return readArray(r);
  if (c === '{') return readTable(r);
  const word = /^[A-Za-z0-9_.+:-]+/.exec(r.text.slice(r.at))?.[0] ?? fail();
  r.at += word.length;
  if (word === 'true' || word === 'false') return word === 'true';
  const number = Number(word.replace(/_/g, ''));
  return Number.isFinite(number) && /^[+-]?\d/.test(word) ? number : fail();
}

function readBasicString(r: Reader): string {
  r.at++;
  let out = '';
  for (;;) {
    const c = r.text[r.at++] ?? fail();
    if (c === '"') return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = r.text[r.at++] ?? fail();
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
    if (e in simple) out += simple[e];
    else if (e === 'u' || e === 'U') {
      const hex = r.text.slice(r.at, r.at + (e === 'u' ? 4 : 8));
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== (e === 'u' ? 4 : 8)) fail();
      out += String.fromCodePoint(parseInt(hex, 16));
      r.at += hex.length;
    } else fail();
  }
}

function readLiteralString(r: Reader): string {
  const end = r.text.indexOf("'", r.at + 1);
  if (end === -1) fail();
  const out = r.text.slice(r.at + 1, end);
  r.at = end + 1;
  return out;
}

function readArray(r: Reader): TomlValue[] {
  r.at++;
  const items: TomlValue[] = [];
  for (;;) {
    skipSpace(r);
    if (r.text[r.at] === ']') {
      r.at++;
      return items;
    }
    items.push(readValue(r));
    skipSpace(r);
    if (r.text[r.at] === ',') r.at++;
    else if (r.text[r.at] !== ']') fail();
  }
}

function readTable(r: Reader): { [key: string]: TomlValue } {
  r.at++;
  const table: { [key: string]: TomlValue } = {};
  for (;;) {
    skipSpace(r);
    if (r.text[r.at] === '}') {
      r.at++;
      return table;
    }
    const key = readKey(r);
    skipSpace(r);
    if (r.text[r.at++] !== '=') fail();
    setPath(table, key, readValue(r));
    skipSpace(r);
    if (r.text[r.at] === ',') r.at++;
    else if (r.text[r.at] !== '}') fail();
  }
}

function readKey(r: Reader): string[] {
  const parts: string[] = [];
  for (;;) {
    skipSpace(r);
    const c = r.text[r.at];
    if (c === '"') parts.push(readBasicString(r));
    else if (c === "'") parts.push(readLiteralString(r));
    else {
      const bare = /^[A-Za-z0-9_-]+/.exec(r.text.slice(r.at))?.[0] ?? fail();
      parts.push(bare);
      r.at += bare.length;
    }
    skipSpace(r);
    if (r.text[r.at] !== '.') return parts;
    r.at++;
  }
}

/** Sets `value` at `path` in `table`, making the tables on the way (a later value wins). */
export function setPath(table: { [key: string]: TomlValue }, path: string[], value: TomlValue): void {
  let node = table;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as { [key: string]: TomlValue };
  }
  node[path[path.length - 1]] = value;
}
