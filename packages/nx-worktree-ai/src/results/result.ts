import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentName } from '../batch/spec';
import type { TokenUsage } from '../agents/types';

/** One agent run of a batch with verify and the check of its work (exitCode 0 = passed). */
export interface AttemptRecord {
  /** null when the agent failed and its work was not checked. */
  verify: { exitCode: number | null; durationMs: number; outputTail: string } | null;
  sessionId: string | null;
  turns: number | null;
  tokens: TokenUsage;
  costUsd: number | null;
}

/** `.nx-worktree-ai/<project>/<batch>/result.json`, what every run leaves (README "result.json"). Unknown values are null. */
export interface BatchResult {
  project: string;
  batch: string;
  /** empty: the agent changed no file (a failure unless the batch sets allowEmpty: true); interrupted: SIGINT/SIGTERM/SIGHUP. */
  status: 'succeeded' | 'failed' | 'replayed' | 'empty' | 'interrupted';
  agent: AgentName;
  agentVersion: string | null;
  model: string | null;
  sessionId: string | null;
  turns: number | null;
  tokens: TokenUsage;
  costUsd: number | null;
  durationMs: number;
  startedAt: string;
  finishedAt: string;
  cacheKey: string | null;
  branch: string | null;
  commit: string | null;
  filesChanged: string[];
  insertions: number | null;
  deletions: number | null;
  error: string | null;
  /** The `nx` command that wrote it (run/run-id.ts): every batch of one command shares it; null outside one. */
  runId: string | null;
  /** Batches with verify: each agent run (the first, then the fixes) and its check. */
  attempts?: AttemptRecord[];
  /** Batches with samples: each sample, the chosen one `succeeded`, the others stopped or failed. */
  samples?: SampleRecord[];
}

/** One sample of a batch with `samples`: its agent, how it ended, its attempts and the branch with its work. */
export interface SampleRecord {
  k: number;
  agent: AgentName;
  status: 'succeeded' | 'failed' | 'empty' | 'interrupted' | 'stopped';
  attempts: AttemptRecord[];
  /** The batch branch for the chosen sample, `<batch branch>--sample-<k>` for the others. */
  branch: string;
  error: string | null;
  /** When the sample started and ended (ISO): its bar in the report's timeline (absent in older results). */
  startedAt?: string | null;
  finishedAt?: string | null;
}

export const NO_TOKENS: TokenUsage = { input: null, output: null, cacheRead: null, cacheWrite: null };

/** File names inside the artifact folder. */
export const ARTIFACTS = {
  result: 'result.json',
  transcript: 'transcript.jsonl',
  patch: 'changes.patch',
  prompt: 'prompt.md',
  /** Not part of the result cache: where this run's time went (phases in ms) and its peak memory. */
  timings: 'timings.json',
} as const;

export interface ArtifactContents {
  result: BatchResult;
  transcript: string;
  patch: string;
  prompt: string;
}

export function serializeArtifacts(a: ArtifactContents): Record<string, string> {
  return {
    [ARTIFACTS.result]: `${JSON.stringify(a.result, null, 2)}\n`,
    [ARTIFACTS.transcript]: a.transcript,
    [ARTIFACTS.patch]: a.patch,
    [ARTIFACTS.prompt]: a.prompt,
  };
}

/** Replaces the artifact folder's content (files from an earlier run must not linger). */
export function writeArtifacts(root: string, artifactDir: string, files: Record<string, string | Buffer>): void {
  const dir = join(root, artifactDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}
