/**
 * Row j: the six batches in large workspaces, the hand-made pattern (a full `git worktree add` per
 * batch) against the plugin with its default settings, alternated in one run; plugin/hand-made per size.
 */
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, runNx, type BatchDef } from '../../testing/workspace';
import { generatedProjects, log, median, ok, rulesFor, seconds } from './common';
import { runHandmade } from './handmade';

export interface SizeCost {
  files: number;
  handmadeMs: number[];
  pluginMs: number[];
  /** median(plugin) / median(hand-made). */
  ratio: number;
}

/** Six independent batches, two in each of three of the generated projects. */
function sixIn(projects: string[]): BatchDef[] {
  return projects.flatMap((project) =>
    ['one', 'two'].map((n) => ({
      project,
      name: `${project}-${n}`,
      frontmatter: { description: `Bench batch ${project}-${n}`, agent: 'claude', outputs: [`src/${n}/**`], maxTurns: 10 },
      prompt: `Bench batch ${project}-${n}: write the ${n} module of ${project}.\n`,
    })),
  );
}

export async function measureSizes(sizes: number[], runs: number, delayMs: number): Promise<SizeCost[]> {
  const out: SizeCost[] = [];
  for (const size of sizes) {
    const { projects } = generatedProjects(size);
    const batches = sixIn(['p000', 'p001', 'p002']);
    const server = await startAnthropicServer({ rules: rulesFor(batches, projects), delayMs });
    const cost: SizeCost = { files: size, handmadeMs: [], pluginMs: [], ratio: 0 };
    try {
      for (let r = 0; r < runs; r++) {
        // Alternate which goes first, so that a drift in the machine's load falls on both.
        const order = r % 2 ? (['plugin', 'handmade'] as const) : (['handmade', 'plugin'] as const);
        for (const variant of order) {
          const ws = createWorkspace({ projects, batches, prefix: 'nxwa-bench-size-' });
          try {
            const env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
            const t0 = performance.now();
            if (variant === 'handmade') await runHandmade(ws, env, batches);
            else ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '6'], { env }), `run-many at ${size} files`);
            const ms = performance.now() - t0;
            (variant === 'handmade' ? cost.handmadeMs : cost.pluginMs).push(ms);
            log(`  ${size} files ${variant.padEnd(8)} ${seconds(ms)}`);
          } finally {
            ws.remove();
          }
        }
      }
    } finally {
      await server.close();
    }
    cost.ratio = median(cost.pluginMs) / median(cost.handmadeMs);
    out.push(cost);
  }
  return out;
}

/** A median with its spread: the hand-made pattern's full checkouts vary a lot from run to run. */
const spread = (ms: number[]) => `${seconds(median(ms))} (${seconds(Math.min(...ms))}-${seconds(Math.max(...ms))})`;

export function sizeRows(costs: SizeCost[]): [string, string][] {
  return costs.map((c) => [
    `j. six batches, ${c.files.toLocaleString('en')} files: hand-made / plugin, median (range) of ${c.pluginMs.length}`,
    `${spread(c.handmadeMs)} / ${spread(c.pluginMs)}  (plugin/hand-made = ${c.ratio.toFixed(2)})`,
  ]);
}
