import * as z from 'zod';

/** `12h`, `7d`, `1d12h`, `30m` ... */
export const AGE_PATTERN = /^(\d+(ms|s|m|h|d|w))+$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export function parseAge(value: string): number {
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(n) * UNIT_MS[unit];
  return total;
}

/** Options of `nx g nx-worktree-ai:prune`. schema.json is generated from this. */
export const pruneGeneratorSchema = z
  .object({
    force: z
      .boolean()
      .default(false)
      .describe(
        'Also delete batch branches holding work that is found nowhere else (not reachable from HEAD, not in the result cache), ' +
          'the saved uncommitted edits that replays of earlier versions overwrote (refs/nx-worktree-ai/overwritten/..., saved-edits/...), and clean runs registered by another host. ' +
          'Without it such branches and saves are listed and kept.',
      ),
    dryRun: z.boolean().default(false).describe('Only report what would be cleaned (`nx g ... --dry-run` does the same).'),
    olderThan: z
      .string()
      .regex(AGE_PATTERN, 'an age such as 12h, 7d or 2w')
      .optional()
      .describe('Only remove kept worktrees and branches at least this old (e.g. 7d). Leftovers of dead runs are always cleaned.'),
  })
  .strict();

export type PruneGeneratorOptions = z.input<typeof pruneGeneratorSchema>;
