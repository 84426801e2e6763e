/**
 * Splits comma-separated lists as given on the command line (`--outputs 'src/a/**,src/b/**'`),
 * keeping commas inside braces (`src/{a,b}/**` stays one glob). Arrays are split element by
 * element; blanks are dropped.
 */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? [value] : value;
  return items.flatMap(splitOne).map((s) => s.trim()).filter(Boolean);
}

function splitOne(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}
