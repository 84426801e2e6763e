import { noRedaction, type Redactor } from '../utils/redact';

/** How the change of a commit came about: a run of the agent, a result-cache replay, an Nx cache hit applied. */
export type CommitSource = 'run' | 'replayed' | 'applied';

const SUFFIX: Record<CommitSource, string> = { run: '', replayed: ' (replayed)', applied: ' (applied from the Nx cache)' };

/**
 * The subject of every commit made for a batch (on its branch, and with `apply: commit` on the
 * user's): `<project>:<batch>: <description>`. Redacted here, once for all of them: a description
 * can hold a credential, and commits outlive the run.
 */
export function commitSubject(label: string, description: string | undefined, redact: Redactor = noRedaction, source: CommitSource = 'run'): string {
  return redact(`${label}: ${description ?? 'AI batch'}${SUFFIX[source]}`);
}
