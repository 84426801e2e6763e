import { log as logger } from '../../utils/log';
import { liveLines } from '../../utils/nx-terminal';
import type { Redactor } from '../../utils/redact';
import type { BatchRun } from '../../resolve/resolve';
import type { BatchResult } from '../../results/result';
import { batchEntry, recordEntry } from '../../results/run-log';
import { joinRun } from '../../run/run-id';

/**
 * One batch task's place in its `nx` command: the run it belongs to (run/run-id.ts), its start and
 * end lines (also sent live where Nx holds task output back, utils/nx-terminal.ts), and its entry
 * in the run log (results/run-log.ts).
 */
export function batchProgress(root: string, run: BatchRun, redact: Redactor) {
  const joined = joinRun(root);
  const live = liveLines();
  const say = (line: string, level: 'info' | 'error') => {
    const text = redact(line);
    logger[level](text);
    live.line(text);
  };
  say(`[${run.label}] started · ${run.agent}${run.model ? ` ${run.model}` : ''}${joined ? ` · run ${joined.id}` : ''}`, 'info');
  return {
    runId: joined?.id ?? null,
    /** The last line, and the run log entry when the run left a result. */
    end(line: string, result: BatchResult | null, level: 'info' | 'error' = 'info') {
      say(line, level);
      live.close();
      if (!joined || !result) return;
      try {
        // Redacted as result.json is (the whole JSON text): an error message may quote a secret.
        const redacted = JSON.parse(redact(JSON.stringify(result))) as BatchResult;
        recordEntry(root, joined.id, batchEntry(redacted, run.spec.file, run.apply));
      } catch (error) {
        logger.info(`[${run.label}] the run log entry was not written: ${(error as Error).message}`);
      }
    },
  };
}
