import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Part = 'six' | 'overhead' | 'sandbox' | 'inference' | 'chain' | 'sizes' | 'scale';

/** The JSON keys each part of the bench writes. */
const KEYS: Record<Part, string[]> = { six: ['sixBatches', 'memory', 'samples'], overhead: ['overhead'], sandbox: ['sandbox'], inference: ['inference'], chain: ['chain'], sizes: ['sizes'], scale: ['scale'] };

/**
 * Writes the bench's JSON. A run of one part (`--only`) replaces only that part's keys in an
 * existing file and records its own machine and arguments under `onlyRuns.<part>`, so that the
 * other parts keep the figures of the run that measured them.
 */
export function writeResults(out: string, summary: Record<string, unknown> & { machine: unknown; args: unknown }, only: Part | null): void {
  let written: Record<string, unknown> = summary;
  if (only && existsSync(out)) {
    const existing = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    written = { ...existing, ...Object.fromEntries(KEYS[only].map((key) => [key, summary[key]])) };
    written.onlyRuns = { ...(existing.onlyRuns as object | undefined), [only]: { machine: summary.machine, args: summary.args, at: new Date().toISOString() } };
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`);
}
