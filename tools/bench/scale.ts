/**
 * Row k: how the plugin's cost grows with the number of batches. One batch in each of the 50
 * generated projects (1k files), `run-many --parallel 8`, against six of them run the same way:
 * wall time, the CPU time per batch (timings.json: the plugin's part and the whole executor process),
 * the git processes per batch (the plugin's work as a count) and the process tree's peak memory;
 * medians of `runs` alternated rounds.
 *
 * Two controls tell the number of batches from the number running at once (8 at a time at 50, 6 at
 * 6; on two cores the same work costs more CPU time the more processes share them):
 * - 50 batches with `--parallel 6`: six at once, as in the six-batch run, only more of them;
 * - the six-batch run twice at the same time, in two workspaces: the same work, 12 at once.
 */
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, runNx, type BatchDef, type ProjectDef } from '../../testing/workspace';
import { generatedProjects, log, median, ok, readTimings, rulesFor, seconds } from './common';
import { sampleTreeRss } from './memory';

/** What one row runs: `batches` batches with `--parallel`, in `beside` workspaces at the same time. */
export interface ScaleCase {
  batches: number;
  parallel: number;
  beside: number;
}

export interface ScaleRun extends ScaleCase {
  wallMs: number;
  /** Median CPU time of one batch's executor process (Nx's worker start included). */
  cpuPerBatchMs: number;
  /** Median CPU time of the plugin in one batch's executor process (from loading the executor on). */
  pluginCpuPerBatchMs: number;
  /** Of that, loading the executor's modules: the same code each batch, so it shows the machine's contention. */
  pluginLoadCpuPerBatchMs: number;
  /** Mean git processes per batch: the plugin's work, counted. */
  gitProcessesPerBatch: number;
  /** Batches that took their own snapshot rather than share one (timings.json `snapshot`). */
  snapshotsTaken: number;
  peakTreeRssMb: number;
}

export const SCALE_CASES: ScaleCase[] = [
  { batches: 6, parallel: 8, beside: 1 },
  { batches: 50, parallel: 8, beside: 1 },
  { batches: 50, parallel: 6, beside: 1 },
  { batches: 6, parallel: 8, beside: 2 },
];

function oneBatchPerProject(projects: string[]): BatchDef[] {
  return projects.map((project) => ({
    project,
    name: `${project}-gen`,
    frontmatter: { description: `Scale batch ${project}`, agent: 'claude', outputs: ['src/gen/**'], maxTurns: 5 },
    prompt: `Scale batch ${project}: write the gen module of ${project}.\n`,
  }));
}

/** One run-many of `batches` in a fresh workspace; its per-batch timings. */
async function runMany(projects: Record<string, ProjectDef>, batches: BatchDef[], parallel: number, serverUrl: string) {
  const ws = createWorkspace({ projects, batches, prefix: 'nxwa-bench-scale-' });
  try {
    const env = claudeTestEnv(serverUrl, join(ws.base, 'claude-config'));
    ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', String(parallel)], { env }), `run-many of ${batches.length} batches`);
    return batches.map((b) => readTimings(ws, b.project, b.name));
  } finally {
    ws.remove();
  }
}

async function runCase(projects: Record<string, ProjectDef>, all: BatchDef[], c: ScaleCase, serverUrl: string): Promise<ScaleRun> {
  const stop = sampleTreeRss();
  const t0 = performance.now();
  const timings = (await Promise.all(Array.from({ length: c.beside }, () => runMany(projects, all.slice(0, c.batches), c.parallel, serverUrl)))).flat();
  const wallMs = performance.now() - t0;
  const peakTreeRssMb = stop();
  const run: ScaleRun = {
    ...c,
    wallMs,
    cpuPerBatchMs: median(timings.map((t) => t.cpuMs)),
    pluginCpuPerBatchMs: median(timings.map((t) => t.pluginCpuMs)),
    pluginLoadCpuPerBatchMs: median(timings.map((t) => t.pluginLoadCpuMs)),
    gitProcessesPerBatch: Math.round((timings.reduce((sum, t) => sum + t.gitProcesses, 0) / timings.length) * 10) / 10,
    snapshotsTaken: timings.filter((t) => t.snapshot === 'taken').length,
    peakTreeRssMb,
  };
  log(`  ${caseLabel(c)}: ${seconds(wallMs)}, CPU per batch: plugin ${run.pluginCpuPerBatchMs} ms (loading ${run.pluginLoadCpuPerBatchMs} ms), executor process ${run.cpuPerBatchMs} ms; ${run.gitProcessesPerBatch} git processes per batch, ${run.snapshotsTaken} snapshots taken; peak ${peakTreeRssMb} MB`);
  return run;
}

/** `runs` rounds of every case, the order flipped each round; medians per case. */
export async function measureScale(cases: ScaleCase[], runs: number, delayMs: number): Promise<ScaleRun[]> {
  const { projects } = generatedProjects(1000);
  const all = oneBatchPerProject(Object.keys(projects));
  const server = await startAnthropicServer({ rules: rulesFor(all, projects), delayMs });
  const samples = cases.map((): ScaleRun[] => []);
  try {
    for (let r = 0; r < runs; r++) {
      const order = cases.map((_, i) => i);
      for (const i of r % 2 ? order.reverse() : order) samples[i].push(await runCase(projects, all, cases[i], server.url));
    }
  } finally {
    await server.close();
  }
  return cases.map((c, i) => {
    const med = (key: keyof ScaleRun) => median(samples[i].map((row) => row[key] as number));
    return { ...c, wallMs: med('wallMs'), cpuPerBatchMs: med('cpuPerBatchMs'), pluginCpuPerBatchMs: med('pluginCpuPerBatchMs'), pluginLoadCpuPerBatchMs: med('pluginLoadCpuPerBatchMs'), gitProcessesPerBatch: med('gitProcessesPerBatch'), snapshotsTaken: med('snapshotsTaken'), peakTreeRssMb: med('peakTreeRssMb') };
  });
}

function caseLabel(c: ScaleCase): string {
  const one = `${c.batches} batches, --parallel ${c.parallel}`;
  return c.beside > 1 ? `${one}, ${c.beside} such runs at once` : one;
}

export function scaleRows(runs: ScaleRun[]): [string, string][] {
  return runs.map((r) => [
    `k. ${caseLabel(r)} (1,000 files)`,
    `${seconds(r.wallMs)}, CPU per batch: plugin ${Math.round(r.pluginCpuPerBatchMs)} ms (loading ${Math.round(r.pluginLoadCpuPerBatchMs)} ms), executor process ${Math.round(r.cpuPerBatchMs)} ms; git processes per batch ${r.gitProcessesPerBatch}, snapshots taken ${r.snapshotsTaken}; peak tree ${r.peakTreeRssMb} MB`,
  ]);
}
