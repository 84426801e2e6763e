/**
 * Row i: chain latency. Four batches of one project in a chain (each depends on the one before) in
 * the generated 1k-file workspace; per link, the time from one batch's result to the next agent's
 * first model request, and what it is made of.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, runNx, type BatchDef } from '../../testing/workspace';
import { generatedProjects, log, median, ok, readTimings, rulesFor } from './common';

const LINKS = ['first', 'second', 'third', 'fourth'];

export interface ChainLink {
  /** From the earlier batch's finishedAt to the later agent's first model request. */
  totalMs: number;
  /** The earlier batch's own work after its result: removing its worktree, writing timings. */
  previousCleanupMs: number;
  /** Nx: the earlier task's end, scheduling the next, forking its worker, loading the executor. */
  nxMs: number;
  /** The later batch's phases before its agent: snapshot, worktree, prepare, slot wait. */
  pluginMs: number;
  /** The agent CLI from its start to its first model request. */
  agentStartMs: number;
}

export interface ChainCost {
  files: number;
  runs: ChainLink[][];
  /** Median of every link of every run. */
  median: ChainLink;
}

const PLUGIN_PHASES_BEFORE_AGENT = ['start', 'snapshot', 'worktree', 'prepare', 'slotWait'];

/** The links of one chain run, read from result.json, timings.json and the server's request log. */
function linksOf(root: string, batches: BatchDef[], firstRequest: (rule: string) => number): ChainLink[] {
  const result = (b: BatchDef) => JSON.parse(readFileSync(join(root, '.nx-worktree-ai', b.project, b.name, 'result.json'), 'utf8'));
  return batches.slice(1).map((next, i) => {
    const prev = batches[i];
    const prevEnd = Date.parse(result(prev).finishedAt);
    const nextStart = Date.parse(result(next).startedAt);
    const previousCleanupMs = readTimings({ root }, prev.project, prev.name).phases.cleanup ?? 0;
    const phases = readTimings({ root }, next.project, next.name).phases;
    const pluginMs = PLUGIN_PHASES_BEFORE_AGENT.reduce((sum, p) => sum + (phases[p] ?? 0), 0);
    const totalMs = firstRequest(next.name) - prevEnd;
    const nxMs = nextStart - prevEnd - previousCleanupMs;
    return { totalMs, previousCleanupMs, nxMs, pluginMs, agentStartMs: totalMs - previousCleanupMs - nxMs - pluginMs };
  });
}

export async function measureChain(runs: number, delayMs: number): Promise<ChainCost> {
  const { projects } = generatedProjects(1000);
  const batches: BatchDef[] = LINKS.map((name, i) => ({
    project: 'p000',
    name: `chain-${name}`,
    frontmatter: { description: `Chain link ${name}`, agent: 'claude', outputs: [`src/${name}/**`], maxTurns: 5, ...(i ? { dependsOn: [`chain-${LINKS[i - 1]}`] } : {}) },
    prompt: `Chain batch ${name}: write the ${name} module.\n`,
  }));
  const server = await startAnthropicServer({ rules: rulesFor(batches, projects), delayMs });
  const all: ChainLink[][] = [];
  try {
    for (let r = 0; r <= runs; r++) {
      const ws = createWorkspace({ projects, batches, prefix: 'nxwa-bench-chain-' });
      try {
        const env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
        const since = Date.now();
        ok(await runNx(ws, ['run', `p000:ai-generate--chain-${LINKS.at(-1)}`], { env }), 'the chain of four');
        const firstRequest = (rule: string) => Math.min(...server.mainRequests().filter((q) => q.rule === rule && q.at >= since).map((q) => q.at));
        const links = linksOf(ws.root, batches, firstRequest);
        // The first run is a warm-up: Nx's first graph computation, git's first stat of the files.
        if (r > 0) all.push(links);
        log(`  chain run ${r}${r ? '' : ' (warm-up)'}: links ${links.map((l) => `${Math.round(l.totalMs)} ms`).join(', ')}`);
      } finally {
        ws.remove();
      }
    }
  } finally {
    await server.close();
  }
  const flat = all.flat();
  const med = (key: keyof ChainLink) => Math.round(median(flat.map((l) => l[key])));
  return {
    files: 1000,
    runs: all,
    median: { totalMs: med('totalMs'), previousCleanupMs: med('previousCleanupMs'), nxMs: med('nxMs'), pluginMs: med('pluginMs'), agentStartMs: med('agentStartMs') },
  };
}

export function chainRows(c: ChainCost): [string, string][] {
  const m = c.median;
  return [
    [`i. chain of four: result to next agent's first request, ${c.files.toLocaleString('en')} files (median link)`, `${m.totalMs} ms`],
    ['   made of: previous cleanup, Nx (schedule, fork, load), plugin phases, agent start', `${m.previousCleanupMs} + ${m.nxMs} + ${m.pluginMs} + ${m.agentStartMs} ms`],
  ];
}
