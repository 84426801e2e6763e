/** The first `x.y.z` in a text ("2.1.330 (Claude Code)", "codex-cli 0.169.0"), or null. */
export function findVersion(text: string): string | null {
  return /(\d+)\.(\d+)\.(\d+)/.exec(text)?.[0] ?? null;
}

/** -1, 0 or 1, comparing `x.y.z` numerically (missing parts count as 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/**
 * Whether `version` is in npm's caret range of `base` (^2.1.330: >= 2.1.330 < 3.0.0; ^0.61.0:
 * >= 0.61.0 < 0.62.0), the range npm installs for `npm i -D pkg@^base`.
 */
export function inCaretRange(version: string, base: string): boolean {
  if (compareVersions(version, base) < 0) return false;
  const [major, minor] = base.split('.').map(Number);
  const upper = major > 0 ? `${major + 1}.0.0` : `0.${minor + 1}.0`;
  return compareVersions(version, upper) < 0;
}

/**
 * The lowest version an `engines.node` range allows, for the simple forms packages use
 * (">=22.0.0", ">=20", "^20.19.0 || >=22"): null when it has another shape.
 */
export function minimumOf(range: string): string | null {
  const m = /^\s*(?:>=|\^)\s*v?(\d+(?:\.\d+){0,2})/.exec(range);
  return m ? m[1] : null;
}
