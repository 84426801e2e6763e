const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "1h30m" -> 5400000; numbers are milliseconds already. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}
