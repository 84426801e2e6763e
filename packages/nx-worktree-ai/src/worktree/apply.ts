import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { treePathProblem } from '../batch/names';
import { gitRaw } from './git';
import { readBlobs, type TreeEntry } from './tree';

/** A file as bytes plus git mode; null = the file does not exist. */
export interface FileVersion {
  mode: string;
  content: Buffer;
}

/** One path to integrate: what it was when the run started (base) and what the batch made of it (theirs). */
export interface PathChange {
  path: string;
  base: FileVersion | null;
  theirs: FileVersion | null;
}

export interface IntegrationPlan {
  writes: { path: string; file: FileVersion | null }[];
  /** Paths where the workspace changed during the run and a 3-way merge did not resolve it. */
  conflicts: string[];
  /** Paths merged 3-way with the user's concurrent edits. */
  merged: string[];
}

/** The files of tree entries (null for none), read by one git process. */
export async function loadVersions(repoRoot: string, entries: (TreeEntry | undefined)[]): Promise<(FileVersion | null)[]> {
  const blobs = await readBlobs(repoRoot, entries.flatMap((entry) => (entry ? [entry.oid] : [])));
  return entries.map((entry) => (entry ? { mode: entry.mode, content: blobs.get(entry.oid)! } : null));
}

/** The workspace file as it is now (a symlink is its target text, as git stores it). */
export function readWorkspaceFile(root: string, path: string): FileVersion | null {
  const abs = join(root, path);
  let stat;
  try {
    stat = lstatSync(abs);
  } catch {
    return null;
  }
  if (stat.isSymbolicLink()) return { mode: '120000', content: Buffer.from(readlinkSync(abs)) };
  if (!stat.isFile()) return null;
  return { mode: stat.mode & 0o111 ? '100755' : '100644', content: readFileSync(abs) };
}

export function sameVersion(a: FileVersion | null, b: FileVersion | null): boolean {
  if (!a || !b) return a === b;
  return a.mode === b.mode && a.content.equals(b.content);
}

/**
 * Decides, per path, what to write: the batch's version where the workspace still holds the base,
 * nothing where it already holds the result, a 3-way text merge where the user edited it meanwhile;
 * anything else is a conflict. Nothing is written here.
 */
export async function planIntegration(repoRoot: string, workspaceRoot: string, changes: PathChange[]): Promise<IntegrationPlan> {
  const plan: IntegrationPlan = { writes: [], conflicts: [], merged: [] };
  for (const change of changes) {
    const ours = readWorkspaceFile(workspaceRoot, change.path);
    if (sameVersion(ours, change.theirs)) continue;
    if (sameVersion(ours, change.base)) {
      plan.writes.push({ path: change.path, file: change.theirs });
      continue;
    }
    const merged = await mergeText(repoRoot, change.base, ours, change.theirs);
    if (merged) {
      plan.writes.push({ path: change.path, file: merged });
      plan.merged.push(change.path);
    } else {
      plan.conflicts.push(change.path);
    }
  }
  return plan;
}

/** `git merge-file` on three regular files; null when it conflicts or a side is missing or binary. */
export async function mergeText(repoRoot: string, base: FileVersion | null, ours: FileVersion | null, theirs: FileVersion | null): Promise<FileVersion | null> {
  if (!base || !ours || !theirs) return null;
  if ([base, ours, theirs].some((v) => v.mode === '120000' || v.content.includes(0))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'nx-worktree-ai-merge-'));
  try {
    const [o, b, t] = ['ours', 'base', 'theirs'].map((n) => join(dir, n));
    writeFileSync(o, ours.content);
    writeFileSync(b, base.content);
    writeFileSync(t, theirs.content);
    const { stdout, exitCode } = await gitRaw(repoRoot, ['merge-file', '-p', o, b, t], { okExitCodes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    return exitCode === 0 ? { mode: theirs.mode, content: stdout } : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the plan all-or-nothing: each file goes to a temp file beside it and is renamed into place;
 * if any step fails, every path already written is put back as it was.
 */
export function applyPlan(workspaceRoot: string, plan: IntegrationPlan): void {
  // Before the first write: a path that could leave the workspace or reach into .git is refused.
  for (const { path } of plan.writes) {
    const problem = treePathProblem(path);
    if (problem) throw new Error(`refusing to write ${JSON.stringify(path)} into the workspace: the path ${problem}`);
  }
  const undo: { path: string; before: FileVersion | null }[] = [];
  try {
    for (const write of plan.writes) {
      undo.push({ path: write.path, before: readWorkspaceFile(workspaceRoot, write.path) });
      writeVersion(workspaceRoot, write.path, write.file);
    }
  } catch (error) {
    for (const { path, before } of undo.reverse()) {
      try {
        writeVersion(workspaceRoot, path, before);
      } catch {
        // keep restoring the others; the original error is what the user needs
      }
    }
    throw error;
  }
}

function writeVersion(root: string, path: string, file: FileVersion | null): void {
  const abs = join(root, path);
  if (!file) {
    rmSync(abs, { force: true });
    return;
  }
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.nx-worktree-ai-${process.pid}.tmp`;
  if (file.mode === '120000') symlinkSync(file.content.toString('utf8'), tmp);
  else {
    writeFileSync(tmp, file.content);
    chmodSync(tmp, file.mode === '100755' ? 0o755 : 0o644);
  }
  if (existsSync(abs) && lstatSync(abs).isDirectory()) throw new Error(`${path} is a folder in the workspace; the batch made it a file.`);
  renameSync(tmp, abs);
}
