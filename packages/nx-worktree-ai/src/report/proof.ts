import type { BatchResult } from '../results/result';

/**
 * What the report adds to the status of a batch with `verify` or `samples`: how many agent runs
 * its check took, and which sample was applied. '' for other batches.
 * `succeeded · 2 attempts`, `failed · 3 attempts`, `succeeded · sample 2 of 2 (codex) · 1 attempt`.
 */
export function proofNote(r: Pick<BatchResult, 'attempts' | 'samples' | 'status'>): string {
  const parts: string[] = [];
  const samples = Array.isArray(r.samples) ? r.samples : [];
  const chosen = samples.find((s) => s.status === 'succeeded');
  if (chosen) parts.push(`sample ${chosen.k} of ${samples.length} (${chosen.agent})`);
  else if (samples.length) parts.push(`${samples.length} samples`);
  const attempts = Array.isArray(r.attempts) ? r.attempts.length : 0;
  if (attempts && (!samples.length || chosen)) parts.push(`${attempts} attempt${attempts === 1 ? '' : 's'}`);
  return parts.map((p) => ` · ${p}`).join('');
}
