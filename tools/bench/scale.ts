/**
 * Row k: how the plugin's cost grows with the number of batches. One batch in each of the 50
 * generated projects (1k files), `run-many --parallel 8`, against six of them run the same way:
 * wall time, the executor's CPU time per batch (timings.json) and the process tree's peak memory.
 */
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, runNx, type BatchDef } from '../../testing/workspace';
import { generatedProjects, log, median, ok, readTimings, rulesFor, seconds } from './common';
import { sampleTreeRss } from './memory';

export interface ScaleRun {
  batches: number;
  wallMs: number;
  /** Median CPU time of one batch's executor process. */
  cpuPerBatchMs: number;
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

export async function measureScale(counts: number[], delayMs: number): Promise<ScaleRun[]> {
  const { projects } = generatedProjects(1000);
  const all = oneBatchPerProject(Object.keys(projects));
  const server = await startAnthropicServer({ rules: rulesFor(all, projects), delayMs });
  const out: ScaleRun[] = [];
  try {
    for (const count of counts) {
      const batches = all.slice(0, count);
      const ws = createWorkspace({ projects, batches, prefix: 'nxwa-bench-scale-' });
      try {
        const env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
        const stop = sampleTreeRss();
        const t0 = performance.now();
        ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '8'], { env }), `run-many of ${count} batches`);
        const wallMs = performance.now() - t0;
        const peakTreeRssMb = stop();
        const cpuPerBatchMs = median(batches.map((b) => readTimings(ws, b.project, b.name).cpuMs));
        out.push({ batches: count, wallMs, cpuPerBatchMs, peakTreeRssMb });
        log(`  ${count} batches: ${seconds(wallMs)}, executor CPU ${cpuPerBatchMs} ms per batch, peak ${peakTreeRssMb} MB`);
      } finally {
        ws.remove();
      }
    }
  } finally {
    await server.close();
  }
  return out;
}

export function scaleRows(runs: ScaleRun[]): [string, string][] {
  return runs.map((r) => [
    `k. ${r.batches} batches, run-many --parallel 8 (1,000 files)`,
    `${seconds(r.wallMs)}, executor CPU ${Math.round(r.cpuPerBatchMs)} ms per batch, peak tree ${r.peakTreeRssMb} MB`,
  ]);
}
