import type { BatchRun } from '../resolve/resolve';
import type { VerifySettings } from '../resolve/verify';
import type { VerifyRun } from './verify';

/**
 * What the agent is told when its work failed the batch's check: the command, its exit code and
 * the tail of its output, and that the fix stays within the same outputs. `original` is the batch's
 * prompt for an agent whose session cannot be resumed (it starts afresh, its earlier work still in place).
 */
export function fixPrompt(run: BatchRun, settings: VerifySettings, verify: VerifyRun, original: string | null): string {
  const status = verify.exitCode === null ? 'did not finish' : `exited with code ${verify.exitCode}`;
  const fence = verify.outputTail.includes('```') ? '~~~~' : '```';
  const lines = [
    `The check of this work failed: \`${settings.argv.join(' ')}\` (run in the repository root) ${status}.`,
    '',
    'The end of its output:',
    fence,
    verify.outputTail.trim() || '(no output)',
    fence,
    '',
    `Fix the work so that this check passes. Change only files within the same outputs (${run.outputGlobs.join(', ')}); ` +
      'do not change the check itself. The check runs again when you are done.',
  ];
  if (!original) return lines.join('\n');
  return [original.trimEnd(), '', '---', '', 'An earlier attempt at this task is already in the working tree.', ...lines].join('\n');
}
