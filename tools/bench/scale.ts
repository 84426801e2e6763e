/**
 * Row k: how the plugin's cost grows with the number of batches. One batch in each of the 50
 * generated projects (1k files), `run-many --parallel 8`, against six of them run the same way:
 * wall time, the CPU time per batch (timings.json: the plugin's part and the whole executor process)
 * and the process tree's peak memory; medians of `runs` alternated rounds.
 */
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, runNx, type BatchDef, type ProjectDef } from '../../testing/workspace';
import { generatedProjects, log, median, ok, readTimings, rulesFor, seconds } from './common';
import { sampleTreeRss } from './memory';

export interface ScaleRun {
  batches: number;
  wallMs: number;
  /** Median CPU time of one batch's executor process (Nx's worker start included). */
  cpuPerBatchMs: number;
  /** Median CPU time of the plugin in one batch's executor process (from loading the executor on). */
  pluginCpuPerBatchMs: number;
  /** Of that, loading the executor's modules: the same code each batch, so it shows the machine's contention. */
  pluginLoadCpuPerBatchMs: number;
  peakTreeRssMb: number;
}

function oneBatchPerProject(projects: string[]): BatchDef[] {
  return projects.map((project) => ({
    project,
    name: `${project}-gen`,
    frontmatter: { description: `Scale batch ${project}`, agent: 'claude', outputs: ['src/gen/**'], maxTurns: 5 },
    prompt: `Scale batch ${project}: write the gen module of ${project}.\n`,
  }));
}

/** One run-many of `count` batches in a fresh workspace. */
async function runOnce(projects: Record<string, ProjectDef>, batches: BatchDef[], serverUrl: string): Promise<ScaleRun> {
  const ws = createWorkspace({ projects, batches, prefix: 'nxwa-bench-scale-' });
  try {
    const env = claudeTestEnv(serverUrl, join(ws.base, 'claude-config'));
    const stop = sampleTreeRss();
    const t0 = performance.now();
    ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '8'], { env }), `run-many of ${batches.length} batches`);
    const wallMs = performance.now() - t0;
    const peakTreeRssMb = stop();
    const timings = batches.map((b) => readTimings(ws, b.project, b.name));
    const cpuPerBatchMs = median(timings.map((t) => t.cpuMs));
    const pluginCpuPerBatchMs = median(timings.map((t) => t.pluginCpuMs));
    const pluginLoadCpuPerBatchMs = median(timings.map((t) => t.pluginLoadCpuMs));
    log(`  ${batches.length} batches: ${seconds(wallMs)}, CPU per batch: plugin ${pluginCpuPerBatchMs} ms (loading ${pluginLoadCpuPerBatchMs} ms), executor process ${cpuPerBatchMs} ms; peak ${peakTreeRssMb} MB`);
    return { batches: batches.length, wallMs, cpuPerBatchMs, pluginCpuPerBatchMs, pluginLoadCpuPerBatchMs, peakTreeRssMb };
  } finally {
    ws.remove();
  }
}

/** `runs` rounds of every count, the order flipped each round; medians per count. */
export async function measureScale(counts: number[], runs: number, delayMs: number): Promise<ScaleRun[]> {
  const { projects } = generatedProjects(1000);
  const all = oneBatchPerProject(Object.keys(projects));
  const server = await startAnthropicServer({ rules: rulesFor(all, projects), delayMs });
  const samples = new Map<number, ScaleRun[]>(counts.map((c) => [c, []]));
  try {
    for (let r = 0; r < runs; r++) {
      for (const count of r % 2 ? [...counts].reverse() : counts) samples.get(count)!.push(await runOnce(projects, all.slice(0, count), server.url));
    }
  } finally {
    await server.close();
  }
  return counts.map((count) => {
    const rows = samples.get(count)!;
    const med = (key: keyof ScaleRun) => median(rows.map((row) => row[key]));
    return { batches: count, wallMs: med('wallMs'), cpuPerBatchMs: med('cpuPerBatchMs'), pluginCpuPerBatchMs: med('pluginCpuPerBatchMs'), pluginLoadCpuPerBatchMs: med('pluginLoadCpuPerBatchMs'), peakTreeRssMb: med('peakTreeRssMb') };
  });
}

export function scaleRows(runs: ScaleRun[]): [string, string][] {
  return runs.map((r) => [
    `k. ${r.batches} batches, run-many --parallel 8 (1,000 files)`,
    `${seconds(r.wallMs)}, CPU per batch: plugin ${Math.round(r.pluginCpuPerBatchMs)} ms (loading ${Math.round(r.pluginLoadCpuPerBatchMs)} ms), executor process ${Math.round(r.cpuPerBatchMs)} ms; peak tree ${r.peakTreeRssMb} MB`,
  ]);
}
