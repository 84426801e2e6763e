import { readWorkspaceFile, type FileVersion, type IntegrationPlan, type PathChange } from '../worktree/apply';

/**
 * The message of a batch whose result no longer applies to the workspace: files the user (or
 * another tool) changed during the run in a way a 3-way merge could not resolve. Nothing was
 * applied; it names every conflicting file and gives the exact git commands that bring the batch's
 * work in by hand, file by file, without touching anything else (the user's other uncommitted edits
 * stay as they are, which `git merge`, `git cherry-pick` and `git apply --3way` would refuse).
 */
export interface ConflictHelpInput {
  /** Workspace root (to see what the user made of each file). */
  root: string;
  branch: string;
  /** The batch's result commit; its parent is the snapshot the batch ran on. */
  commit: string;
  changes: PathChange[];
  plan: IntegrationPlan;
  /** How to run the batch again, e.g. `npx nx run auth:ai-generate--login --skip-nx-cache`. */
  rerun: string;
}

export function conflictMessage(input: ConflictHelpInput): string {
  const c = input.commit.slice(0, 12);
  const base = `${c}~1`;
  const conflicts = new Set(input.plan.conflicts);
  const lines: string[] = [];
  for (const change of input.changes.filter((ch) => conflicts.has(ch.path))) {
    lines.push(conflictCommand(change, readWorkspaceFile(input.root, change.path), base, c));
  }
  const merged = new Set(input.plan.merged);
  const others = input.changes.filter((ch) => !conflicts.has(ch.path));
  const take = others.filter((ch) => ch.theirs && !merged.has(ch.path)).map((ch) => q(ch.path));
  if (take.length) lines.push(`git checkout ${c} -- ${take.join(' ')}    # the batch's other files (unchanged by you)`);
  for (const ch of others.filter((x) => merged.has(x.path))) lines.push(`${mergeFile(ch.path, base, c)}    # edited by you and the batch: merges cleanly`);
  const removed = others.filter((ch) => !ch.theirs).map((ch) => q(ch.path));
  if (removed.length) lines.push(`rm -f -- ${removed.join(' ')}    # deleted by the batch`);

  return (
    `the workspace changed during the run and ${input.plan.conflicts.length} file(s) conflict with the batch's result: ${input.plan.conflicts.join(', ')}. ` +
    `Nothing was applied; the batch's work is on branch ${input.branch} (commit ${c}, made on the snapshot ${base}). ` +
    `To bring it in by hand, in the workspace:\n` +
    `  git diff ${base} ${c}    # what the batch changed\n` +
    lines.map((l) => `  ${l}\n`).join('') +
    `or run the batch again on top of your edits: ${input.rerun}`
  );
}

function conflictCommand(change: PathChange, ours: FileVersion | null, base: string, commit: string): string {
  const p = q(change.path);
  if (!ours && change.theirs) return `git checkout ${commit} -- ${p}    # you deleted ${change.path}, the batch changed it: this restores the batch's version`;
  if (ours && !change.theirs) return `rm -f -- ${p}    # the batch deleted ${change.path}, you changed it: only if you agree to delete it`;
  if (!change.base) return `git show ${commit}:${p} > ${q(`${change.path}.ai`)}    # you and the batch both created ${change.path}: compare yours with ${change.path}.ai`;
  const binary = [change.base, ours, change.theirs].some((v) => v && (v.mode === '120000' || v.content.includes(0)));
  if (binary) return `git checkout ${commit} -- ${p}    # not text: this takes the batch's version of ${change.path} instead of yours`;
  return `${mergeFile(change.path, base, commit)}    # conflict markers where you and the batch disagree`;
}

function mergeFile(path: string, base: string, commit: string): string {
  const [p, b, a] = [q(path), q(`${path}.base`), q(`${path}.ai`)];
  return `git show ${base}:${p} > ${b} && git show ${commit}:${p} > ${a} && git merge-file -L yours -L base -L batch ${p} ${b} ${a}; rm -f -- ${b} ${a}`;
}

/** A path as one POSIX shell word. */
function q(path: string): string {
  return /^[A-Za-z0-9._/@+-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
