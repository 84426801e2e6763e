import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RepoInfo } from './repo';
import { writeFileAtomic } from '../utils/files';
import { procStat } from '../utils/proc-stat';

/**
 * The run registry: one JSON file per batch run in progress, in the shared git dir
 * (`<git common dir>/nx-worktree-ai/runs/<id>.json`), written when the run starts and removed when
 * it ends. A file whose owner process is dead is what a killed run left behind: its agent process
 * group, its worktree, its temp files and, if it died while integrating, an apply journal. The next
 * run (at its start, under the workspace lock) and `nx g nx-worktree-ai:prune` clean them up
 * (recovery/recover.ts). Only the owning process writes its file; files are replaced atomically.
 */
export const RUN_RECORD_VERSION = 1;

/** A process, identified beyond its pid: the start time tells a reused pid apart (null where unknown). */
export interface ProcessRef {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
  start: string | null;
}

export type RunPhase = 'starting' | 'agent' | 'collecting' | 'integrating' | 'finishing';

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  id: string;
  /** The executor process that owns the run. */
  owner: ProcessRef & { host: string };
  startedAt: string;
  workspace: string;
  project: string;
  batch: string;
  branch: string;
  phase: RunPhase;
  /** The commit the worktree was created from (its HEAD): what the agent's changes are relative to. */
  snapshot: string | null;
  /** The worktree folder, recorded before `git worktree add` so no worktree exists unrecorded. */
  worktree: string | null;
  /** Worktree-relative paths the plugin put there (node_modules link, copied files): not the agent's work. */
  prepared: string[];
  /** The batch's output globs: all that salvaged work may change (absent in records of older versions). */
  outputs?: string[];
  /** Leader of the agent's process group (its pid is the group id). */
  agent: ProcessRef | null;
  /** Absolute paths of files the run created outside the worktree (the prompt file, ...). */
  tempFiles: string[];
  /** Apply journal written while the run changes workspace files (worktree/journal.ts). */
  journal: string | null;
}

export function pluginDir(repo: Pick<RepoInfo, 'commonDir'>): string {
  return join(repo.commonDir, 'nx-worktree-ai');
}

export function runsDir(repo: Pick<RepoInfo, 'commonDir'>): string {
  return join(pluginDir(repo), 'runs');
}

export function tmpDir(repo: Pick<RepoInfo, 'commonDir'>): string {
  return join(pluginDir(repo), 'tmp');
}

/** Temp index files carry the pid of their process, so recovery can remove those of dead processes. */
export const TEMP_INDEX_PATTERN = /^([a-z]+)-(\d+)-[0-9a-f-]{36}\.index(\.lock)?$/;

/** `<common dir>/nx-worktree-ai/tmp/<kind>-<pid>-<uuid>.index` (the folder is created). */
export function tempIndexPath(repo: Pick<RepoInfo, 'commonDir'>, kind: string): string {
  const dir = tmpDir(repo);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${kind}-${process.pid}-${randomUUID()}.index`);
}

// ---------------------------------------------------------------------------------------------------
// Processes

const HAS_PROC = process.platform === 'linux';

/** Start time of a process (Linux: /proc/<pid>/stat field 22), null when unknown or gone. */
export function processStart(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

export function selfRef(): ProcessRef {
  return { pid: process.pid, start: processStart(process.pid) };
}

export type ProcessState = 'alive' | 'dead' | 'unknown';

/**
 * Whether the process still runs: `unknown` for another host (a repository on a shared disk).
 * A zombie is dead (nobody may reap orphans in a container), and so is a pid now used by a
 * process that started at another time.
 */
export function processState(ref: ProcessRef, host = hostname()): ProcessState {
  if (host !== hostname()) return 'unknown';
  try {
    process.kill(ref.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (HAS_PROC) {
    const stat = procStat(ref.pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return 'dead';
    if (ref.start !== null && stat.start !== ref.start) return 'dead';
  }
  return 'alive';
}

/** Live (non-zombie) members of a process group; off Linux, [pgid] while the group exists. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
    }
  }
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(name));
  }
  return members;
}

// ---------------------------------------------------------------------------------------------------
// Records

/** Every record of the registry; unreadable files come back as `{ file, error }`. */
export function listRuns(repo: Pick<RepoInfo, 'commonDir'>): Array<{ file: string; record: RunRecord | null; error?: string }> {
  const dir = runsDir(repo);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json') && !name.includes('.journal'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      try {
        const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
        if (record?.version !== RUN_RECORD_VERSION || typeof record.owner?.pid !== 'number') return { file, record: null, error: 'unknown format' };
        return { file, record };
      } catch (error) {
        return { file, record: null, error: (error as Error).message };
      }
    });
}

/** Writes JSON atomically: a temp file beside it, then rename (a reader never sees half a file). */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export interface RunStart {
  workspace: string;
  project: string;
  batch: string;
  branch: string;
}

/** A registered run: update it as it goes, finish it once (idempotent; safe in `finally`). */
export class RunRegistration {
  private finished = false;

  private constructor(
    readonly file: string,
    readonly record: RunRecord,
  ) {}

  static start(repo: Pick<RepoInfo, 'commonDir'>, start: RunStart, now = new Date()): RunRegistration {
    const dir = runsDir(repo);
    mkdirSync(dir, { recursive: true });
    const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const record: RunRecord = {
      version: RUN_RECORD_VERSION,
      id,
      owner: { ...selfRef(), host: hostname() },
      startedAt: now.toISOString(),
      workspace: start.workspace,
      project: start.project,
      batch: start.batch,
      branch: start.branch,
      phase: 'starting',
      snapshot: null,
      worktree: null,
      prepared: [],
      agent: null,
      tempFiles: [],
      journal: null,
    };
    const registration = new RunRegistration(join(dir, `${id}.json`), record);
    registration.write();
    return registration;
  }

  get id(): string {
    return this.record.id;
  }

  update(patch: Partial<Omit<RunRecord, 'version' | 'id' | 'owner'>>): void {
    if (this.finished) return;
    Object.assign(this.record, patch);
    this.write();
  }

  addTempFile(path: string): void {
    if (!this.record.tempFiles.includes(path)) this.update({ tempFiles: [...this.record.tempFiles, path] });
  }

  /** Removes the record. Call once the run's own cleanup is done: after this, nobody recovers it. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    rmSync(this.file, { force: true });
  }

  private write(): void {
    try {
      writeJsonAtomic(this.file, this.record);
    } catch {
      // The registry is a safety net: a full disk must not fail the batch itself.
    }
  }
}
