/** A batch's artifacts in the workspace: result.json and the files beside it. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS_DIR, type Workspace } from './defs';

/** Fields of result.json. */
export interface BatchResult {
  project: string;
  batch: string;
  status: 'succeeded' | 'failed' | 'replayed' | 'empty' | 'interrupted';
  agent: string | null;
  agentVersion: string | null;
  model: string | null;
  sessionId: string | null;
  turns: number | null;
  tokens: { input: number | null; output: number | null; cacheRead: number | null; cacheWrite: number | null } | null;
  costUsd: number | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  cacheKey: string | null;
  branch: string | null;
  commit: string | null;
  filesChanged: string[];
  insertions: number | null;
  deletions: number | null;
  error: string | null;
  /** The nx command the result came from (README "The report"). */
  runId: string | null;
  /** Batches with verify: each agent run and its check. */
  attempts?: Array<{ verify: { exitCode: number | null; durationMs: number; outputTail: string } | null; sessionId: string | null; turns: number | null; tokens: BatchResult['tokens']; costUsd: number | null }>;
}

export const RESULT_FIELDS: Array<keyof BatchResult> = [
  'project',
  'batch',
  'status',
  'agent',
  'agentVersion',
  'model',
  'sessionId',
  'turns',
  'tokens',
  'costUsd',
  'durationMs',
  'startedAt',
  'finishedAt',
  'cacheKey',
  'branch',
  'commit',
  'filesChanged',
  'insertions',
  'deletions',
  'error',
  'runId',
];

export const ARTIFACT_FILES = ['result.json', 'transcript.jsonl', 'changes.patch', 'prompt.md'] as const;

export function artifactsDir(ws: Pick<Workspace, 'root'>, project: string, batch: string): string {
  return join(ws.root, ARTIFACTS_DIR, project, batch);
}

export function resultPath(ws: Pick<Workspace, 'root'>, project: string, batch: string): string {
  return join(artifactsDir(ws, project, batch), 'result.json');
}

export function readResult(ws: Pick<Workspace, 'root'>, project: string, batch: string): BatchResult {
  return JSON.parse(readFileSync(resultPath(ws, project, batch), 'utf8'));
}

export function tryReadResult(ws: Pick<Workspace, 'root'>, project: string, batch: string): BatchResult | undefined {
  try {
    return readResult(ws, project, batch);
  } catch {
    return undefined;
  }
}

/** mtime of result.json in ms, or undefined: tells whether a run touched a batch at all. */
export function resultMtime(ws: Pick<Workspace, 'root'>, project: string, batch: string): number | undefined {
  try {
    return statSync(resultPath(ws, project, batch)).mtimeMs;
  } catch {
    return undefined;
  }
}

