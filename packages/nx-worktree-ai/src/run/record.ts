import { redactFiles } from '../utils/redact';
import { NO_TOKENS, serializeArtifacts, type BatchResult } from '../results/result';
import type { RunRecord, RunState } from './state';

/** The record of a run whose agent is about to start: result.json's fields known so far. */
export function startRecord({ run, ctx, startedAt, cacheKey, branch }: RunState, agentVersion: string | null): RunRecord {
  const base = {
    project: run.project,
    batch: run.spec.name,
    agent: run.agent,
    agentVersion,
    model: run.model,
    sessionId: null,
    turns: null,
    tokens: { ...NO_TOKENS },
    costUsd: null,
    startedAt: startedAt.toISOString(),
    cacheKey,
    branch,
    commit: null,
    filesChanged: [],
    insertions: null,
    deletions: null,
    runId: ctx.runId ?? null,
  };
  return { base, transcript: [], stderr: [], patch: '', stamped: null, removed: false };
}

export function finishResult({ startedAt }: RunState, record: RunRecord, status: BatchResult['status'], error: string | null): BatchResult {
  const finishedAt = new Date();
  return { ...record.base, status, error, finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime() };
}

/** The artifact folder's files for `result`, redacted. */
export function artifactFiles({ prompt, redact }: RunState, record: RunRecord, result: BatchResult): Record<string, string | Buffer> {
  return redactFiles(serializeArtifacts({ result, transcript: joinLines(record.transcript), patch: record.patch, prompt }), redact);
}

function joinLines(lines: string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}
