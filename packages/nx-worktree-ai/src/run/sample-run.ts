import type { AgentName } from '../batch/spec';
import type { SampleRecord } from '../results/result';
import { sampleBranchName } from '../worktree/worktree';
import { agentStage } from './attempts';
import { collectWork, type CollectedWork } from './collect';
import { commitWork } from './commit';
import { findAgent } from './find-agent';
import { prepareRun } from './prepare';
import { startRecord } from './record';
import type { RunRecord, RunState } from './state';
import { placeWorktree, type PlacedWorktree } from './worktree';

/** What one sample of a batch with `samples` came to. */
export interface SampleOutcome {
  k: number;
  state: RunState;
  placed: PlacedWorktree | null;
  record: RunRecord | null;
  work: CollectedWork | null;
  commit: string | null;
  /** What it threw, or null. */
  error: unknown;
  /** It was still running when another sample was chosen. */
  stopped: boolean;
  startedAt: Date;
  finishedAt: Date | null;
}

/**
 * Sample k of the batch: its own agent, branch (`--sample-<k>`) and progress label; the model only
 * when it runs the batch's own agent (a claude model name means nothing to codex).
 */
export function sampleState(state: RunState, k: number, agent: AgentName, stop: AbortSignal): RunState {
  const { run } = state;
  const sampleRun = { ...run, agent, model: agent === run.agent ? run.model : null, label: `${run.label}#${k}` };
  return { ...state, run: sampleRun, branch: sampleBranchName(state.branch, k), sample: { k, of: run.samples.length, stop } };
}

/**
 * One sample through the stages of a single run up to its branch commit: worktree, agent and
 * verify (with its fixes), the guards, the commit on its own branch. Nothing is integrated here;
 * a failure is returned, not thrown, so the other samples go on.
 */
export async function runSample(state: RunState, k: number): Promise<SampleOutcome> {
  const outcome: SampleOutcome = { k, state, placed: null, record: null, work: null, commit: null, error: null, stopped: false, startedAt: new Date(), finishedAt: null };
  try {
    outcome.placed = await placeWorktree(state, findAgent(state));
    outcome.record = startRecord(state, outcome.placed.version);
    const prepared = await prepareRun(state, outcome.placed);
    const agent = await agentStage(state, outcome.placed, prepared, null, outcome.record);
    outcome.work = await collectWork(state, outcome.placed, prepared, outcome.record, agent, null);
    outcome.commit = await commitWork(state, outcome.placed, outcome.record, outcome.work);
  } catch (error) {
    outcome.error = error;
  }
  outcome.stopped = state.sample?.stop.aborted === true;
  outcome.finishedAt = new Date();
  return outcome;
}

/** result.json's entry for a sample; `chosen` is the batch branch when it is the one applied. */
export function sampleRecord(s: SampleOutcome, chosen: string | null): SampleRecord {
  const { stopped } = s;
  const failed = s.error !== null || !s.work?.outcome.ok;
  const status = chosen && !failed ? 'succeeded' : stopped ? 'stopped' : s.error !== null ? 'failed' : (s.work?.outcome.status ?? 'failed');
  const error = s.error !== null ? (s.error instanceof Error ? s.error.message : String(s.error)) : (s.work?.outcome.message ?? null);
  const times = { startedAt: s.startedAt.toISOString(), finishedAt: s.finishedAt?.toISOString() ?? null };
  return { k: s.k, agent: s.state.run.agent, status, attempts: s.record?.base.attempts ?? [], branch: chosen ?? s.state.branch, error: status === 'succeeded' ? null : error, ...times };
}
