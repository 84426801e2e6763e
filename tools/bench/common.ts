/** Helpers shared by the bench's rows: medians, reading a batch's timings, the generated probe workspace. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScriptRule } from '../../testing/scripted-model/anthropic';
import { runNx, type BatchDef, type NxResult, type ProjectDef, type Workspace } from '../../testing/workspace';

export const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const log = (line: string) => process.stdout.write(`${line}\n`);

export function ok(res: NxResult, what: string): NxResult {
  if (res.code !== 0) throw new Error(`${what} failed (exit ${res.code}):\n${res.output.slice(-4000)}`);
  return res;
}

export interface Timings {
  phases: Record<string, number>;
  maxRssMb: number;
  /** CPU time of the executor process (user + system), Nx's worker start included. */
  cpuMs: number;
  /** The plugin's part of cpuMs: loading the executor and the run (Nx's work in the worker excluded). */
  pluginCpuMs: number;
  /** Of pluginCpuMs, loading the executor's modules. */
  pluginLoadCpuMs: number;
  /** git processes the run started: the plugin's work as a count, which the machine's load does not change. */
  gitProcesses: number;
  /** Whether the batch took its own snapshot of the workspace or shared one taken just before. */
  snapshot: 'taken' | 'shared';
}

export function readTimings(ws: Pick<Workspace, 'root'>, project: string, batch: string): Timings {
  return JSON.parse(readFileSync(join(ws.root, '.nx-worktree-ai', project, batch, 'timings.json'), 'utf8'));
}

export function readDuration(ws: Pick<Workspace, 'root'>, project: string, batch: string): number {
  return JSON.parse(readFileSync(join(ws.root, '.nx-worktree-ai', project, batch, 'result.json'), 'utf8')).durationMs;
}

/** The plugin's own time in a batch run: every phase but the agent's and the wait for an agent slot. */
export function ownTime(phases: Record<string, number>): number {
  return Object.entries(phases).reduce((sum, [phase, ms]) => (phase === 'agent' || phase === 'slotWait' ? sum : sum + ms), 0);
}

export function medianPhases(rows: Record<string, number>[]): Record<string, number> {
  return Object.fromEntries(Object.keys(rows[0] ?? {}).map((p) => [p, Math.round(median(rows.map((row) => row[p] ?? 0)))]));
}

/** A generated workspace of about `files` files in 50 projects, and the one-file probe batch run in it. */
export function generatedProjects(files: number): { projects: Record<string, ProjectDef>; batch: BatchDef } {
  const count = 50;
  const perProject = Math.ceil(files / count);
  const projects: Record<string, ProjectDef> = {};
  for (let p = 0; p < count; p++) {
    const name = `p${String(p).padStart(3, '0')}`;
    const projectFiles: Record<string, string> = {};
    for (let f = 0; f < perProject; f++) projectFiles[`src/m${Math.floor(f / 100)}/f${f}.ts`] = `export const v${f} = ${f};\n`;
    projects[name] = { root: `libs/${name}`, files: projectFiles };
  }
  const batch: BatchDef = {
    project: 'p000',
    name: 'touch',
    frontmatter: { description: 'One small change', agent: 'claude', outputs: ['src/gen/**'], maxTurns: 5 },
    prompt: 'Overhead probe: write src/gen/probe.ts.\n',
  };
  return { projects, batch };
}

export interface ProbeRun {
  phases: Record<string, number>;
  /** The batch's wall time (result.json). */
  durationMs: number;
  /** What `nx run` printed. */
  output: string;
}

/**
 * Runs the probe batch of a generated workspace through Nx, a result-cache miss each time: a fresh
 * prompt (same scripted rule) and the last run's file gone, so that its write is a change again
 * (an unchanged result is an "empty" run, which fails). `options` are executor options.
 */
export function probeRunner(ws: Workspace, env: Record<string, string>): (tag: string, options: string[]) => Promise<ProbeRun> {
  const batchFile = join(ws.root, 'libs/p000/ai/touch.ai.md');
  const batchText = readFileSync(batchFile, 'utf8');
  return async (tag, options) => {
    writeFileSync(batchFile, `${batchText}\n<!-- bench run ${tag} -->\n`);
    rmSync(join(ws.root, 'libs/p000/src/gen'), { recursive: true, force: true });
    const cmd = ['run', `p000:ai-generate--touch`, '--skip-nx-cache', ...options];
    const res = ok(await runNx(ws, cmd, { env }), cmd.join(' '));
    return { phases: readTimings(ws, 'p000', 'touch').phases, durationMs: readDuration(ws, 'p000', 'touch'), output: res.output };
  };
}

/** The scripted model's answer to each batch: three files in the batch's first output folder. */
export function rulesFor(batches: BatchDef[], projects: Record<string, ProjectDef>): ScriptRule[] {
  return batches.map((b) => {
    const dir = `${projects[b.project].root}/${(b.frontmatter.outputs as string[])[0].replace('/**', '')}`;
    return {
      name: b.name,
      match: b.prompt.trim(),
      steps: [
        { write: { path: `${dir}/a.ts`, content: `export const a = '${b.name}';\n` } },
        { write: { path: `${dir}/b.ts`, content: `export const b = '${b.name}';\n` } },
        { write: { path: `${dir}/c.ts`, content: `export const c = '${b.name}';\n` } },
        { text: `Wrote ${dir}.` },
      ],
    };
  });
}
