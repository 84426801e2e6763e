/**
 * Glob overlap for output validation.
 *
 * `globsMayOverlap(a, b)` answers: could a path exist that both globs cover? A glob covers the
 * paths it matches and, when what it matches may be a folder, everything below (an Nx output that
 * names a directory caches the whole directory), so `src/auth` and `src/auth/login.ts` overlap, and
 * so do `src/*` and `src/a/b.ts`; a last segment such as `*.ts` is taken to name files only.
 *
 * How it decides, after normalising both globs (`./`, `//`, trailing `/` and `.` segments removed):
 * - braces are expanded first (`{a,b}`, nested, `{1..3}`, `{a..c}`); every pair of expansions is
 *   compared;
 * - then segment by segment (split on `/`): `**` matches any number of segments (including none);
 *   two ordinary segments are compared exactly as two small regular languages over characters:
 *   literal characters, `?` (one character), `*` (any run of characters), `[...]` classes and
 *   `\` escapes. So `*.ts` vs `*.js` do not overlap, `a*` vs `*b` do (`ab`), `login.ts` vs `*.ts` do,
 *   `src/a/**` vs `src/b/**` do not, `src/**` vs `**\/*.ts` do.
 * The answer is exact for all of the above. It says "may overlap" (never "no") when the glob uses
 * something it does not model: extglobs such as `+(a|b)` (the segment is treated as `**`),
 * negated or POSIX character classes (treated as any character), more than 256 brace expansions.
 * It ignores picomatch's dotfile rule (`*` skipping `.env`), which only adds overlaps. It is
 * case-sensitive. Negated globs (`!x`) are not positive patterns: callers leave them out.
 */

const MAX_EXPANSIONS = 256;

type CharToken =
  | { kind: 'lit'; ch: string }
  | { kind: 'one' } // ?
  | { kind: 'star' } // *
  | { kind: 'class'; negated: boolean; ranges: Array<[string, string]>; fuzzy: boolean };

type Segment = { kind: 'globstar' } | { kind: 'chars'; tokens: CharToken[] };

/** True when some path may be covered by both globs (see the module comment for the rules). */
export function globsMayOverlap(a: string, b: string): boolean {
  const as = expandBraces(normalizeGlob(a));
  const bs = expandBraces(normalizeGlob(b));
  if (!as || !bs) return true;
  const aSegs = as.map((g) => withSubtree(parseSegments(g)));
  const bSegs = bs.map((g) => withSubtree(parseSegments(g)));
  return aSegs.some((x) => bSegs.some((y) => sequencesIntersect(x, y, isGlobstar, segmentsIntersect)));
}

/** True when the glob may match this exact path or one of its parent folders. */
export function globMayCover(glob: string, path: string): boolean {
  return globsMayOverlap(glob, escapeGlob(path));
}

/** Escapes glob syntax so the text is matched literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}()!+@]/g, (c) => `\\${c}`);
}

/** Removes `./`, duplicate and trailing slashes and `.` segments. */
export function normalizeGlob(glob: string): string {
  return glob
    .split('/')
    .filter((s, i, all) => s !== '.' && (s !== '' || (i === 0 && all.length === 1)))
    .join('/');
}

/** Joins a project root ('.' for the workspace root) and a project-relative glob, escaping the root. */
export function joinRootGlob(root: string, glob: string): string {
  const g = normalizeGlob(glob);
  return root === '.' || root === '' ? g : `${escapeGlob(root)}/${g}`;
}

// ---------------------------------------------------------------------------------------------
// Braces

/** All brace expansions of a glob, or null when there would be more than MAX_EXPANSIONS. */
export function expandBraces(glob: string): string[] | null {
  const out: string[] = [];
  const queue = [glob];
  while (queue.length) {
    const g = queue.pop()!;
    const group = findBraceGroup(g);
    if (!group) {
      out.push(g);
      if (out.length > MAX_EXPANSIONS) return null;
      continue;
    }
    const { start, end, alternatives } = group;
    for (const alt of alternatives) queue.push(g.slice(0, start) + alt + g.slice(end + 1));
    if (queue.length + out.length > MAX_EXPANSIONS * 4) return null;
  }
  return [...new Set(out)].sort();
}

/** The first (leftmost) expandable `{...}` group: a top-level comma list or a range. */
function findBraceGroup(g: string): { start: number; end: number; alternatives: string[] } | null {
  for (let i = 0; i < g.length; i++) {
    if (g[i] === '\\') {
      i++;
      continue;
    }
    if (g[i] !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = i; j < g.length; j++) {
      if (g[j] === '\\') {
        j++;
        continue;
      }
      if (g[j] === '{') depth++;
      else if (g[j] === '}') {
        depth--;
        if (depth === 0) {
          const body = g.slice(i + 1, j);
          if (commas.length) {
            const parts: string[] = [];
            let from = i + 1;
            for (const c of commas) {
              parts.push(g.slice(from, c));
              from = c + 1;
            }
            parts.push(g.slice(from, j));
            return { start: i, end: j, alternatives: parts };
          }
          const range = expandRange(body);
          if (range) return { start: i, end: j, alternatives: range };
          break; // `{x}`: literal braces, look further right
        }
      } else if (g[j] === ',' && depth === 1) commas.push(j);
    }
  }
  return null;
}

function expandRange(body: string): string[] | null {
  const num = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  if (num) {
    const [from, to] = [Number(num[1]), Number(num[2])];
    if (Math.abs(to - from) > MAX_EXPANSIONS) return null;
    const step = from <= to ? 1 : -1;
    const out: string[] = [];
    for (let n = from; n !== to + step; n += step) out.push(String(n));
    return out;
  }
  const alpha = /^([A-Za-z])\.\.([A-Za-z])$/.exec(body);
  if (alpha) {
    const [from, to] = [alpha[1].charCodeAt(0), alpha[2].charCodeAt(0)];
    const step = from <= to ? 1 : -1;
    const out: string[] = [];
    for (let c = from; c !== to + step; c += step) out.push(String.fromCharCode(c));
    return out;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Segments and characters

function parseSegments(glob: string): Segment[] {
  if (glob === '') return [];
  return splitUnescaped(glob, '/').map(parseSegment);
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      cur += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      parts.push(cur);
      cur = '';
    } else cur += text[i];
  }
  parts.push(cur);
  return parts;
}

const EXTGLOB = /(^|[^\\])[@!+*?]\(/;

function parseSegment(seg: string): Segment {
  if (seg === '**' || EXTGLOB.test(seg)) return { kind: 'globstar' };
  const tokens: CharToken[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '\\' && i + 1 < seg.length) {
      tokens.push({ kind: 'lit', ch: seg[++i] });
    } else if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === '[') {
      const cls = parseClass(seg, i);
      if (cls) {
        tokens.push(cls.token);
        i = cls.end;
      } else tokens.push({ kind: 'lit', ch: c });
    } else tokens.push({ kind: 'lit', ch: c });
  }
  return { kind: 'chars', tokens };
}

/** Parses `[...]` starting at `start`; null when there is no closing `]` (then `[` is literal). */
function parseClass(seg: string, start: number): { token: CharToken; end: number } | null {
  let i = start + 1;
  let negated = false;
  if (seg[i] === '!' || seg[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: Array<[string, string]> = [];
  let fuzzy = false;
  let first = true;
  for (; i < seg.length; i++) {
    let c = seg[i];
    if (c === ']' && !first) return { token: { kind: 'class', negated, ranges, fuzzy }, end: i };
    first = false;
    if (c === '[' && seg[i + 1] === ':') {
      const close = seg.indexOf(':]', i + 2);
      if (close > 0) {
        fuzzy = true; // POSIX class: not modelled
        i = close + 1;
        continue;
      }
    }
    if (c === '\\' && i + 1 < seg.length) c = seg[++i];
    if (seg[i + 1] === '-' && i + 2 < seg.length && seg[i + 2] !== ']') {
      let to = seg[i + 2];
      i += 2;
      if (to === '\\' && i + 1 < seg.length) to = seg[++i];
      ranges.push([c, to]);
    } else ranges.push([c, c]);
  }
  return null;
}

function isGlobstar(s: Segment): boolean {
  return s.kind === 'globstar';
}

function segmentsIntersect(a: Segment, b: Segment): boolean {
  if (a.kind === 'globstar' || b.kind === 'globstar') return true;
  return sequencesIntersect(a.tokens, b.tokens, (t) => t.kind === 'star', charsIntersect);
}

function charsIntersect(a: CharToken, b: CharToken): boolean {
  if (a.kind === 'star' || a.kind === 'one' || b.kind === 'star' || b.kind === 'one') return true;
  if (a.kind === 'lit' && b.kind === 'lit') return a.ch === b.ch;
  if (a.kind === 'lit' && b.kind === 'class') return classMatches(b, a.ch);
  if (a.kind === 'class' && b.kind === 'lit') return classMatches(a, b.ch);
  if (a.kind === 'class' && b.kind === 'class') {
    if (a.negated || b.negated || a.fuzzy || b.fuzzy) return true;
    return a.ranges.some(([af, at]) => b.ranges.some(([bf, bt]) => af <= bt && bf <= at));
  }
  return true;
}

function classMatches(cls: Extract<CharToken, { kind: 'class' }>, ch: string): boolean {
  if (cls.fuzzy) return true;
  const inside = cls.ranges.some(([from, to]) => from <= ch && ch <= to);
  return cls.negated ? !inside : inside;
}

/**
 * Do two token sequences accept a common word? `star` tokens accept any run of items (including
 * none); `compatible` says whether two single tokens can accept the same item. Memoised search
 * over position pairs: O(n·m).
 */
function sequencesIntersect<T>(a: T[], b: T[], star: (t: T) => boolean, compatible: (x: T, y: T) => boolean): boolean {
  const failed = new Set<number>();
  const width = b.length + 1;
  const visit = (i: number, j: number): boolean => {
    if (i === a.length && j === b.length) return true;
    const key = i * width + j;
    if (failed.has(key)) return false;
    const aStar = i < a.length && star(a[i]);
    const bStar = j < b.length && star(b[j]);
    if (aStar && visit(i + 1, j)) return true;
    if (bStar && visit(i, j + 1)) return true;
    if (i < a.length && j < b.length && !(aStar && bStar) && compatible(a[i], b[j])) {
      if (visit(aStar ? i : i + 1, bStar ? j : j + 1)) return true;
    }
    failed.add(key);
    return false;
  };
  return visit(0, 0);
}

/**
 * What may be a folder also covers everything below it: a glob whose last segment is literal
 * (`src/auth`) or a bare `*` (`src/*`) gets `/**` appended. A last segment such as `*.ts` is taken
 * to name files, as people mean it (otherwise `**\/*.ts` and `**\/*.md` would overlap through a
 * folder called `x.ts`).
 */
function withSubtree(segs: Segment[]): Segment[] {
  const last = segs[segs.length - 1];
  if (!last) return [{ kind: 'globstar' }];
  if (last.kind === 'globstar') return segs;
  const literal = last.tokens.every((t) => t.kind === 'lit');
  const bareStar = last.tokens.length === 1 && last.tokens[0].kind === 'star';
  return literal || bareStar ? [...segs, { kind: 'globstar' }] : segs;
}
