/**
 * `npm run bench` (packs first). Not a test: it measures, prints a table of medians and writes JSON.
 *
 * With the real claude CLI against the scripted model server at a fixed latency per reply:
 *   a. the hand-made pattern (tools/bench/handmade.sh): worktree add x6, `claude -p &` x6, wait,
 *      merge x6, worktree remove x6;
 *   b0. the same six `claude -p` calls as plain Nx tasks (nx:run-commands, no plugin executor, no
 *       worktrees): what Nx itself adds to a run;
 *   b1. the same six calls from a minimal custom executor that only spawns claude: what any
 *       plugin executor pays on top of b0 (Nx runs a custom executor in a forked worker), the floor of b;
 *   b. nx run-many -t ai-generate --parallel 6;
 *   c. the same with --parallel 1;
 *   d. a full replay: from Nx's cache, and from the plugin's result cache after `nx reset`;
 *   e. the plugin's own overhead per batch (wall time minus agent time, from timings.json) on
 *      generated workspaces of 1k, 10k and 50k files, and sparse vs full worktree creation;
 *   f. peak memory: the executor process (timings.json) and the whole process tree of a run;
 *   g. the OS sandbox's cost per batch: the 1k-file probe with --sandbox=off and =required,
 *      alternated, and starting a program under the plugin's bwrap argv vs directly (sandbox-cost.ts);
 *   h. inference: `nx show projects` with 0, 100 and 1,000 batch files, cold and warm, and the
 *      plugin's createNodes share of it (inference-cost.ts).
 *   i. chain latency: four dependent batches, from one batch's result to the next agent's first
 *      model request, and what it is made of (chain.ts);
 *   j. the six batches at 10k and 50k files, hand-made vs the plugin alternated (sizes.ts);
 *   k. 6 and 50 batches with run-many --parallel 8: wall, executor CPU per batch, memory; with two
 *      controls: 50 at --parallel 6, and two six-batch runs at once (scale.ts).
 * The hand-made pattern cannot express dependencies between batches, so the six batches here are
 * independent (two per project, three projects).
 *
 * Options: --runs N (default 3), --delay MS (model latency per reply, default 3000: a quick real reply),
 *          --sizes 1000,10000,50000, --out FILE (default bench/results.json), --quick (1 run, sizes 1000,10000),
 *          --only six|overhead|sandbox|inference|chain|sizes|scale (one part only: a-d and f, e, g, h, i, j or k; the JSON keeps the other
 *          parts of the existing file and records this run under onlyRuns.<part>)
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../../testing/scripted-model/anthropic';
import { createWorkspace, REPO_ROOT, runNx, type BatchDef, type ProjectDef, type Workspace } from '../../testing/workspace';
import { generatedProjects, log, median, medianPhases, ok, ownTime, probeRunner, readDuration, readTimings, rulesFor, seconds } from './common';
import { chainRows, measureChain, type ChainCost } from './chain';
import { runHandmade } from './handmade';
import { sampleTreeRss } from './memory';
import { writeResults, type Part } from './results';
import { measureSandboxCost, sandboxRows, type SandboxCost } from './sandbox-cost';
import { inferenceRows, measureInferenceCost, type InferenceCost } from './inference-cost';
import { measureScale, SCALE_CASES, scaleRows, type ScaleRun } from './scale';
import { measureSizes, sizeRows, type SizeCost } from './sizes';

interface Args {
  runs: number;
  delayMs: number;
  sizes: number[];
  out: string;
  /** Which part runs alone: the six-batch rows (a-d, f), overhead (e), sandbox (g), inference (h), chain (i), sizes (j) or scale (k); all when null. */
  only: Part | null;
}

const PARTS: Part[] = ['six', 'overhead', 'sandbox', 'inference', 'chain', 'sizes', 'scale'];

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, delayMs: 3000, sizes: [1000, 10_000, 50_000], out: join(REPO_ROOT, 'bench', 'results.json'), only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--delay') args.delayMs = Number(argv[++i]);
    else if (a === '--sizes') args.sizes = argv[++i].split(',').map(Number);
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--only' && PARTS.includes(argv[i + 1] as Part)) args.only = argv[++i] as Part;
    else if (a === '--quick') Object.assign(args, { runs: 1, sizes: [1000, 10_000] });
    else {
      console.error(`bench: unknown option ${a}`);
      process.exit(2);
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// The six independent batches and their scripted replies

const PROJECTS: Record<string, ProjectDef> = {
  alpha: { root: 'libs/alpha', files: { 'src/index.ts': 'export {};\n' } },
  beta: { root: 'libs/beta', files: { 'src/index.ts': 'export {};\n' } },
  gamma: { root: 'apps/gamma', files: { 'src/index.ts': 'export {};\n' } },
};

const SIX: BatchDef[] = Object.keys(PROJECTS).flatMap((project) =>
  ['one', 'two'].map((n) => ({
    project,
    name: `${project}-${n}`,
    frontmatter: { description: `Bench batch ${project}-${n}`, agent: 'claude', outputs: [`src/${n}/**`], maxTurns: 10 },
    prompt: `Bench batch ${project}-${n}: write the ${n} module of ${project}.\n`,
  })),
);

const CLAUDE_ARGS = ['-p', '--permission-mode', 'acceptEdits', '--max-turns', '10'];

/** The six batches as Nx tasks `raw-one` / `raw-two` that run `claude -p` on a prompt in <root>/.bench-prompts. */
function rawProjects(target: (prompt: string) => Record<string, unknown>): Record<string, ProjectDef> {
  return Object.fromEntries(
    Object.entries(PROJECTS).map(([name, def]) => [
      name,
      { ...def, projectJson: { targets: Object.fromEntries(['one', 'two'].map((n) => [`raw-${n}`, target(`.bench-prompts/${name}-${n}.md`)])) } },
    ]),
  );
}

const RAW_PROJECTS = rawProjects((prompt) => ({ executor: 'nx:run-commands', options: { command: `claude ${CLAUDE_ARGS.join(' ')} < ${prompt}` } }));
const EXECUTOR_PROJECTS = rawProjects((prompt) => ({ executor: './tools/raw:run', options: { prompt } }));

/** Writes the prompts of the raw tasks, and for b1 the minimal local executor (`./tools/raw:run`). */
function writeRawTasks(ws: Workspace, withExecutor: boolean): void {
  mkdirSync(join(ws.root, '.bench-prompts'));
  for (const b of SIX) writeFileSync(join(ws.root, '.bench-prompts', `${b.name}.md`), b.prompt);
  if (!withExecutor) return;
  const dir = join(ws.root, 'tools', 'raw');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'raw', version: '0.0.0', executors: './executors.json' }));
  writeFileSync(join(dir, 'executors.json'), JSON.stringify({ executors: { run: { implementation: './run.js', schema: './schema.json' } } }));
  writeFileSync(join(dir, 'schema.json'), JSON.stringify({ type: 'object', properties: { prompt: { type: 'string' } } }));
  writeFileSync(
    join(dir, 'run.js'),
    `const { spawn } = require('node:child_process');
const { openSync } = require('node:fs');
const { join } = require('node:path');
module.exports = (options, context) => new Promise((resolve) => {
  const agent = spawn('claude', ${JSON.stringify(CLAUDE_ARGS)}, { cwd: context.root, stdio: [openSync(join(context.root, options.prompt), 'r'), 'pipe', 'inherit'] });
  agent.stdout.resume();
  agent.on('close', (code) => resolve({ success: code === 0 }));
});
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Measured {
  ms: number;
  requests: number;
  peakTreeRssMb: number;
}

async function measure(server: AnthropicServer, run: () => Promise<unknown>): Promise<Measured> {
  const before = server.mainRequests().length;
  const stop = sampleTreeRss();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  return { ms, requests: server.mainRequests().length - before, peakTreeRssMb: stop() };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wants = (part: Part) => args.only === null || args.only === part;
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim(),
    claude: execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'claude'), ['--version'], { encoding: 'utf8' }).trim(),
  };
  log(`nx-worktree-ai bench: ${args.runs} run(s), model latency ${args.delayMs} ms per reply, ${machine.cpus} cores (${machine.cpu}), ${machine.node}`);

  const sixRules = rulesFor(SIX, PROJECTS);
  const overheadBatches = args.sizes.map((size) => ({ size, ...generatedProjects(size) }));
  const server = await startAnthropicServer({ rules: sixRules, delayMs: args.delayMs });
  // Overhead is wall time minus agent time: the model's latency does not matter there, so keep it short.
  const probeServer = await startAnthropicServer({ rules: rulesFor([overheadBatches[0].batch], overheadBatches[0].projects), delayMs: 50 });
  const samples: Record<string, Measured[]> = { handmade: [], nxRaw: [], nxExecutor: [], parallel6: [], parallel1: [], replayNx: [], replayResultCache: [] };
  const executorRss: number[] = [];
  const batchSums: number[] = [];
  const batchPhases: Record<string, number>[] = [];
  try {
    for (let r = 0; wants('six') && r < args.runs; r++) {
      log(`\n== run ${r + 1}/${args.runs}: six batches`);
      for (const variant of ['handmade', 'nxRaw', 'nxExecutor', 'parallel6', 'parallel1'] as const) {
        const projects = variant === 'nxRaw' ? RAW_PROJECTS : variant === 'nxExecutor' ? EXECUTOR_PROJECTS : PROJECTS;
        const ws = createWorkspace({ projects, batches: SIX, prefix: 'nxwa-bench-' });
        const env = claudeTestEnv(server.url, join(ws.base, 'claude-config'));
        try {
          if (variant === 'handmade') {
            samples.handmade.push(await measure(server, () => runHandmade(ws, env, SIX)));
          } else if (variant === 'nxRaw' || variant === 'nxExecutor') {
            writeRawTasks(ws, variant === 'nxExecutor');
            samples[variant].push(await measure(server, async () => ok(await runNx(ws, ['run-many', '-t', 'raw-one', 'raw-two', '--parallel', '6'], { env }), `run-many of raw claude tasks (${variant})`)));
          } else {
            const parallel = variant === 'parallel6' ? '6' : '1';
            const m = await measure(server, async () => ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', parallel], { env }), `run-many --parallel ${parallel}`));
            samples[variant].push(m);
            if (variant === 'parallel6') {
              batchSums.push(SIX.reduce((sum, b) => sum + readDuration(ws, b.project, b.name), 0));
              for (const b of SIX) {
                const timings = readTimings(ws, b.project, b.name);
                executorRss.push(timings.maxRssMb);
                batchPhases.push(timings.phases);
              }
              samples.replayNx.push(await measure(server, async () => ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '6'], { env }), 'replay')));
              ok(await runNx(ws, ['reset'], { env }), 'nx reset');
              samples.replayResultCache.push(await measure(server, async () => ok(await runNx(ws, ['run-many', '-t', 'ai-generate', '--parallel', '6'], { env }), 'replay after reset')));
            }
          }
          log(`  ${variant.padEnd(10)} ${seconds(samples[variant].at(-1)!.ms)}`);
        } finally {
          ws.remove();
        }
      }
    }

    const overhead: Record<string, { files: number; sparse: boolean; overheadMs: number; phases: Record<string, number> }[]> = {};
    if (wants('overhead')) log('\n== plugin overhead per batch (wall time minus agent time)');
    for (const { size, projects, batch } of wants('overhead') ? overheadBatches : []) {
      const t0 = performance.now();
      const ws = createWorkspace({ projects, batches: [batch], prefix: 'nxwa-bench-gen-' });
      log(`  ${size} files: workspace created in ${seconds(performance.now() - t0)}`);
      const env = claudeTestEnv(probeServer.url, join(ws.base, 'claude-config'));
      const probe = probeRunner(ws, env);
      try {
        const modes = size >= 10_000 ? [false, true] : [false];
        for (const sparse of modes) {
          const rows: { overheadMs: number; phases: Record<string, number> }[] = [];
          for (let r = 0; r <= args.runs; r++) {
            const { phases } = await probe(`${sparse ? 'sparse' : 'full'} ${r}`, [`--sparse=${sparse ? 'always' : 'never'}`]);
            if (r === 0) continue; // warm-up: first Nx graph computation and git's stat cache
            rows.push({ overheadMs: ownTime(phases), phases });
          }
          const key = `${size}`;
          const phases = medianPhases(rows.map((row) => row.phases));
          (overhead[key] ??= []).push({ files: size, sparse, overheadMs: median(rows.map((row) => row.overheadMs)), phases });
          log(`  ${size} files ${sparse ? 'sparse' : 'full  '}: overhead ${Math.round(median(rows.map((row) => row.overheadMs)))} ms, worktree ${phases.worktree} ms, snapshot ${phases.snapshot} ms`);
        }
      } finally {
        ws.remove();
      }
    }

    let sandbox: SandboxCost | null = null;
    if (wants('sandbox')) {
      log('\n== sandbox cost per batch (--sandbox=required minus --sandbox=off)');
      sandbox = await measureSandboxCost(args.runs, probeServer.url);
    }
    let inference: InferenceCost | null = null;
    if (wants('inference')) {
      log('\n== inference: nx show projects, cold (after nx reset) and warm');
      inference = await measureInferenceCost(args.runs);
    }

    let chain: ChainCost | null = null;
    if (wants('chain')) {
      log('\n== chain of four dependent batches: from one result to the next agent');
      chain = await measureChain(args.runs, args.delayMs);
    }
    let sizes: SizeCost[] | null = null;
    if (wants('sizes')) {
      log('\n== six batches in large workspaces: hand-made vs the plugin');
      sizes = await measureSizes(args.sizes.filter((n) => n >= 10_000), args.runs, args.delayMs);
    }
    let scale: ScaleRun[] | null = null;
    if (wants('scale')) {
      log('\n== 6 and 50 batches, run-many --parallel 8; 50 at --parallel 6; two six-batch runs at once');
      scale = await measureScale(SCALE_CASES, args.runs, args.delayMs);
    }

    const med = (k: string) => median(samples[k].map((m) => m.ms));
    const summary = {
      machine,
      args,
      sixBatches: !wants('six') ? null : {
        handmadeMs: med('handmade'),
        nxRawMs: med('nxRaw'),
        nxExecutorMs: med('nxExecutor'),
        parallel6Ms: med('parallel6'),
        parallel1Ms: med('parallel1'),
        sumOfBatchesMs: median(batchSums),
        replayNxMs: med('replayNx'),
        replayResultCacheMs: med('replayResultCache'),
        replayModelRequests: Math.max(...samples.replayNx.concat(samples.replayResultCache).map((m) => m.requests)),
        ratioParallel6OverHandmade: med('parallel6') / med('handmade'),
        ratioNxRawOverHandmade: med('nxRaw') / med('handmade'),
        ratioNxExecutorOverHandmade: med('nxExecutor') / med('handmade'),
        ratioParallel1OverParallel6: med('parallel1') / med('parallel6'),
        batchPhasesMs: medianPhases(batchPhases),
      },
      overhead,
      memory: {
        executorPeakRssMb: median(executorRss),
        processTreePeakRssMb: { handmade: median(samples.handmade.map((m) => m.peakTreeRssMb)), parallel6: median(samples.parallel6.map((m) => m.peakTreeRssMb)) },
      },
      sandbox,
      inference,
      chain,
      sizes,
      scale,
      samples,
    };
    printTable(summary);
    writeResults(args.out, summary, args.only);
    log(`\nJSON: ${args.out}`);
  } finally {
    await Promise.all([server.close(), probeServer.close()]);
  }
}

type Phases = Record<string, number>;

interface SixSummary {
  handmadeMs: number;
  nxRawMs: number;
  ratioNxRawOverHandmade: number;
  nxExecutorMs: number;
  ratioNxExecutorOverHandmade: number;
  parallel6Ms: number;
  parallel1Ms: number;
  sumOfBatchesMs: number;
  replayNxMs: number;
  replayResultCacheMs: number;
  replayModelRequests: number;
  ratioParallel6OverHandmade: number;
  ratioParallel1OverParallel6: number;
  batchPhasesMs: Phases;
}

function printTable(s: {
  sixBatches: SixSummary | null;
  overhead: Record<string, { files: number; sparse: boolean; overheadMs: number; phases: Phases }[]>;
  memory: { executorPeakRssMb: number; processTreePeakRssMb: Record<string, number> };
  sandbox: SandboxCost | null;
  inference: InferenceCost | null;
  chain: ChainCost | null;
  sizes: SizeCost[] | null;
  scale: ScaleRun[] | null;
}): void {
  const six = s.sixBatches;
  const phaseList = (phases: Phases) => `start ${phases.start}, snapshot ${phases.snapshot}, worktree ${phases.worktree}, prepare ${phases.prepare}, collect ${phases.collect}, integrate ${phases.integrate}, cleanup ${phases.cleanup}`;
  const rows: [string, string][] = six
    ? [
        ['a. hand-made script (6 worktrees, claude -p &, merge)', seconds(six.handmadeMs)],
        ['b0. the same claude -p x6 as plain Nx tasks (nx:run-commands)', `${seconds(six.nxRawMs)}  (b0/a = ${six.ratioNxRawOverHandmade.toFixed(2)}: Nx's own cost)`],
        ['b1. the same from a minimal custom executor (spawn only)', `${seconds(six.nxExecutorMs)}  (b1/a = ${six.ratioNxExecutorOverHandmade.toFixed(2)}: the floor of any plugin executor)`],
        ['b. nx run-many --parallel 6', `${seconds(six.parallel6Ms)}  (b/a = ${six.ratioParallel6OverHandmade.toFixed(2)})`],
        ['   plugin phases of a batch in b, ms', phaseList(six.batchPhasesMs)],
        ['c. nx run-many --parallel 1', `${seconds(six.parallel1Ms)}  (c/b = ${six.ratioParallel1OverParallel6.toFixed(2)})`],
        ['   sum of the six batch durations in b', seconds(six.sumOfBatchesMs)],
        ['d. replay from the Nx cache', `${seconds(six.replayNxMs)}  (${six.replayModelRequests} model requests)`],
        ['d. replay from the result cache after nx reset', seconds(six.replayResultCacheMs)],
      ]
    : [];
  for (const entries of Object.values(s.overhead)) {
    for (const o of entries) {
      rows.push([
        `e. overhead per batch, ${o.files.toLocaleString('en')} files, ${o.sparse ? 'sparse' : 'full'} worktree`,
        `${Math.round(o.overheadMs)} ms  (${phaseList(o.phases)})`,
      ]);
    }
    const full = entries.find((o) => !o.sparse);
    const sparse = entries.find((o) => o.sparse);
    if (full && sparse) rows.push([`   sparse / full worktree creation, ${full.files.toLocaleString('en')} files`, `${((100 * sparse.phases.worktree) / full.phases.worktree).toFixed(0)} %`]);
  }
  if (six) {
    rows.push(['f. peak memory: executor process (median)', `${s.memory.executorPeakRssMb} MB`]);
    rows.push(['f. peak memory: whole process tree, b / a', `${s.memory.processTreePeakRssMb.parallel6} MB / ${s.memory.processTreePeakRssMb.handmade} MB`]);
  }
  if (s.sandbox) rows.push(...sandboxRows(s.sandbox));
  if (s.inference) rows.push(...inferenceRows(s.inference));
  if (s.chain) rows.push(...chainRows(s.chain));
  if (s.sizes) rows.push(...sizeRows(s.sizes));
  if (s.scale) rows.push(...scaleRows(s.scale));
  const width = Math.max(...rows.map(([k]) => k.length));
  log('\n== results (medians)');
  for (const [k, v] of rows) log(`  ${k.padEnd(width)}  ${v}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
