/**
 * Row h: what the plugin's inference costs every Nx command. `nx show projects` (no daemon, so
 * every command infers again, as in CI) in workspaces with 0, 100 and 1,000 batch files (ten projects,
 * each batch writing its own folder), cold (after `nx reset`, which empties the inference cache) and
 * warm (the next command), next to the plugin's share: the installed plugin loaded in a fresh Node
 * process that has @nx/devkit loaded already (as Nx's plugin worker has) and its createNodes called
 * with the files and options Nx passes, timed from the require of the entry to the returned
 * results, cold (no inference cache) and warm. (Nx's own NX_PERF_LOGGING measure of createNodes is
 * printed from an observer that often does not flush before the command exits.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkspace, git, runNx, type ProjectDef, type Workspace } from '../../testing/workspace';
import { log, median, ok } from './common';

const COUNTS = [0, 100, 1000];
const PROJECTS = 10;

export interface InferenceRow {
  batchFiles: number;
  cold: { wallMs: number; createNodesMs: number };
  warm: { wallMs: number; createNodesMs: number };
}

export interface InferenceCost {
  runs: number;
  rows: InferenceRow[];
}

function workspaceWith(batchFiles: number): Workspace {
  const projects: Record<string, ProjectDef> = {};
  for (let p = 0; p < PROJECTS; p++) projects[`lib${p}`] = { root: `libs/lib${p}`, files: { 'src/index.ts': 'export {};\n' } };
  const files: Record<string, string> = {};
  for (let i = 0; i < batchFiles; i++) {
    const p = i % PROJECTS;
    files[`libs/lib${p}/ai/b${i}.ai.md`] = `---\ndescription: Bench batch ${i}\nagent: claude\noutputs: [src/b${i}/**]\n---\nWrite module b${i}.\n`;
  }
  return createWorkspace({ projects, files, prefix: 'nxwa-bench-inference-' });
}

const PROBE = `
const t = () => Number(process.hrtime.bigint()) / 1e6;
require('@nx/devkit');
const [files, options] = JSON.parse(process.argv[1]);
const t0 = t();
const plugin = require('nx-worktree-ai');
Promise.resolve(files.length ? plugin.createNodes[1](files, options, { workspaceRoot: process.cwd(), nxJsonConfiguration: {} }) : [])
  .then((entries) => console.log(JSON.stringify({ ms: t() - t0, entries: entries.length })));
`;

/** The plugin's own time for one inference, as Nx's plugin worker spends it (see the module comment). */
function pluginMs(ws: Workspace): number {
  const files = git(ws.root, 'ls-files', '*.ai.md').split('\n').filter(Boolean);
  const nxJson = JSON.parse(readFileSync(join(ws.root, 'nx.json'), 'utf8')) as { plugins?: Array<string | { plugin: string; options?: unknown }> };
  const entry = nxJson.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === 'nx-worktree-ai');
  const options = typeof entry === 'object' ? entry.options : undefined;
  const out = execFileSync(process.execPath, ['-e', PROBE, JSON.stringify([files, options])], { cwd: ws.root, encoding: 'utf8' });
  const { ms, entries } = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; entries: number };
  if (entries !== files.length) throw new Error(`createNodes returned ${entries} entries for ${files.length} batch files`);
  return ms;
}

async function nxMs(ws: Workspace, args: string[]): Promise<number> {
  return ok(await runNx(ws, args), `nx ${args.join(' ')}`).durationMs;
}

export async function measureInferenceCost(runs: number): Promise<InferenceCost> {
  const rows: InferenceRow[] = [];
  for (const count of COUNTS) {
    const ws = workspaceWith(count);
    try {
      const cold: { wallMs: number; createNodesMs: number }[] = [];
      const warm: { wallMs: number; createNodesMs: number }[] = [];
      for (let r = 0; r < runs; r++) {
        await nxMs(ws, ['reset']);
        const coldPlugin = pluginMs(ws);
        await nxMs(ws, ['reset']);
        cold.push({ wallMs: await nxMs(ws, ['show', 'projects']), createNodesMs: coldPlugin });
        warm.push({ wallMs: await nxMs(ws, ['show', 'projects']), createNodesMs: pluginMs(ws) });
      }
      const med = (list: typeof cold) => ({ wallMs: median(list.map((x) => x.wallMs)), createNodesMs: median(list.map((x) => x.createNodesMs)) });
      const row = { batchFiles: count, cold: med(cold), warm: med(warm) };
      log(`  ${count} batch files: cold ${Math.round(row.cold.createNodesMs)} ms of ${Math.round(row.cold.wallMs)} ms, warm ${Math.round(row.warm.createNodesMs)} ms of ${Math.round(row.warm.wallMs)} ms`);
      rows.push(row);
    } finally {
      ws.remove();
    }
  }
  return { runs, rows };
}

export function inferenceRows(cost: InferenceCost): [string, string][] {
  return cost.rows.map((r) => [
    `h. nx show projects, ${r.batchFiles.toLocaleString('en')} batch files: plugin load+createNodes (of wall)`,
    `cold ${Math.round(r.cold.createNodesMs)} ms (${Math.round(r.cold.wallMs)} ms), warm ${Math.round(r.warm.createNodesMs)} ms (${Math.round(r.warm.wallMs)} ms)`,
  ]);
}
