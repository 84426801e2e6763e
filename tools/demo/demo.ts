/**
 * `npm run demo` (packs first): the six batches of the story in a fresh sample workspace.
 *
 *   auth       auth-module ──> auth-tests
 *   dashboard  dashboard-scaffold
 *   api        api-routes ──┐
 *              middleware ──┴─> integration-tests
 *
 * Runs `nx run-many -t ai-generate --parallel 6` with the real claude CLI against the scripted model
 * server (each reply delayed so the parallelism is visible), shows what ran in parallel and how long it
 * took, then runs the same command again and shows every batch replayed with no model request. It
 * ends with `nx-worktree-ai report` (costs labelled as the scripted model's, which nobody paid) and
 * copies the page with the artifacts it links to dist/demo-report/, the path it prints last.
 * Everything it made in the temp folder goes at the end: the workspace, and the installed template
 * when this run created it.
 *
 * Options:
 *   --live          no scripted server: your own credentials (ANTHROPIC_API_KEY or your claude login). Costs money.
 *   --keep          keep the sample workspace and the template (their paths are printed)
 *   --delay MS      scripted model latency per reply (default 1500)
 *   --parallel N    Nx parallelism (default 6)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../../testing/scripted-model/anthropic';
import { batchId, SAMPLE_PROJECTS, scriptRules, SIX_BATCHES, BATCH_DEPENDENCIES } from '../../testing/fixtures/six-batches';
import { createWorkspace, nxEnv, nxTaskLines, REPO_ROOT, runNx, stripAnsi, templateDir, tryReadResult, type BatchResult, type NxResult, type Workspace } from '../../testing/workspace';

interface Args {
  live: boolean;
  keep: boolean;
  delayMs: number;
  parallel: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { live: false, keep: false, delayMs: 1500, parallel: 6 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) fail(`${a} needs a number`);
      return v;
    };
    if (a === '--live') args.live = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--delay') args.delayMs = num();
    else if (a === '--parallel') args.parallel = Math.max(1, Math.floor(num()));
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run demo -- [--live] [--keep] [--delay MS] [--parallel N]');
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  return args;
}

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(2);
}

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const cyan = paint('36');

const secs = (ms: number | null | undefined) => (ms == null ? '-' : `${(ms / 1000).toFixed(1)}s`);

function heading(text: string): void {
  console.log(`\n${bold(cyan(`== ${text}`))}`);
}

function table(rows: string[][], align: Array<'l' | 'r'>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => stripAnsi(r[c]).length)));
  const pad = (s: string, c: number) => {
    const gap = ' '.repeat(widths[c] - stripAnsi(s).length);
    return align[c] === 'r' ? gap + s : s + gap;
  };
  return rows.map((r, i) => (i === 1 ? '  ' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n' : '') + '  ' + r.map(pad).join('  ')).join('\n');
}

interface Row {
  id: string;
  result: BatchResult | undefined;
  start: number;
  end: number;
}

function rowsOf(ws: Workspace): Row[] {
  return SIX_BATCHES.map((b) => {
    const result = tryReadResult(ws, b.project, b.name);
    const start = result?.startedAt ? Date.parse(result.startedAt) : NaN;
    const end = result?.finishedAt ? Date.parse(result.finishedAt) : NaN;
    return { id: batchId(b), result, start, end };
  });
}

function statusText(status: string | undefined): string {
  if (status === 'succeeded') return green(status);
  if (status === 'replayed') return yellow(status);
  return red(status ?? 'no result.json');
}

function printRun(rows: Row[], wallMs: number): void {
  const t0 = Math.min(...rows.map((r) => r.start).filter(Number.isFinite));
  const header = ['batch', 'status', 'start', 'end', 'duration', 'turns', 'tokens in/out', 'files'];
  const body = rows.map(({ id, result: r, start, end }) => [
    id,
    statusText(r?.status),
    Number.isFinite(start) ? `+${secs(start - t0)}` : '-',
    Number.isFinite(end) ? `+${secs(end - t0)}` : '-',
    secs(r?.durationMs),
    String(r?.turns ?? '-'),
    r?.tokens ? `${r.tokens.input ?? '?'}/${r.tokens.output ?? '?'}` : '-',
    String(r?.filesChanged?.length ?? '-'),
  ]);
  console.log(table([header, ...body], ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']));

  // Timeline: one row per batch, a bar from its start to its end on a shared time axis.
  const valid = rows.filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end));
  if (!valid.length) return;
  const tEnd = Math.max(...valid.map((r) => r.end));
  const width = 56;
  const scale = (t: number) => Math.round(((t - t0) / Math.max(1, tEnd - t0)) * width);
  const nameWidth = Math.max(...rows.map((r) => r.id.length));
  console.log(`\n  ${' '.repeat(nameWidth)}  0s${' '.repeat(width - 2 - secs(tEnd - t0).length)}${secs(tEnd - t0)}`);
  for (const r of rows) {
    if (!Number.isFinite(r.start) || !Number.isFinite(r.end)) {
      console.log(`  ${r.id.padEnd(nameWidth)}  ${red('(did not run)')}`);
      continue;
    }
    const a = scale(r.start);
    const b = Math.max(a + 1, scale(r.end));
    const bar = dim('·'.repeat(a)) + green('█'.repeat(b - a)) + dim('·'.repeat(Math.max(0, width - b)));
    console.log(`  ${r.id.padEnd(nameWidth)}  ${bar}`);
  }

  // What ran in parallel, and whether dependents waited.
  let peak = 0;
  for (const r of valid) peak = Math.max(peak, valid.filter((o) => o.start <= r.start && r.start < o.end).length);
  console.log('');
  for (const r of valid) {
    const overlapping = valid.filter((o) => o !== r && o.start < r.end && r.start < o.end).map((o) => o.id);
    const deps = BATCH_DEPENDENCIES[r.id];
    const waited = deps ? `  (started after ${deps.join(' and ')} ended)` : '';
    console.log(`  ${r.id.padEnd(nameWidth)}  ran alongside ${overlapping.length ? overlapping.join(', ') : 'nothing'}${dim(waited)}`);
  }
  const sum = valid.reduce((s, r) => s + (r.result?.durationMs ?? 0), 0);
  console.log(
    `\n  ${bold(`wall time ${secs(wallMs)}`)} (nx run-many) vs ${bold(`${secs(sum)}`)} sum of batch durations: ` +
      `${(sum / Math.max(1, wallMs)).toFixed(1)}x, at most ${peak} batches at once`,
  );
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ndemo: interrupted, stopping nx (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  heading('nx-worktree-ai demo');
  if (args.live) {
    console.log(
      yellow(
        'LIVE mode: the real claude CLI talks to Anthropic with YOUR credentials (ANTHROPIC_API_KEY or your\n' +
          'claude login). Six batches cost real money (each is capped by its maxTurns). Ctrl-C to stop.',
      ),
    );
  } else {
    console.log(`The real claude CLI runs against a scripted model server on 127.0.0.1 (${args.delayMs} ms per reply); nothing reaches a vendor.`);
  }

  const tWs = Date.now();
  const templateExisted = existsSync(join(templateDir(), '.complete'));
  const ws = createWorkspace({ projects: SAMPLE_PROJECTS, batches: SIX_BATCHES, prefix: 'nx-worktree-ai-demo-', log: (l) => console.log(dim(`  ${l}`)) });
  console.log(`Sample workspace: ${bold(ws.root)} (created in ${secs(Date.now() - tWs)})`);
  for (const b of SIX_BATCHES) {
    const deps = (b.frontmatter.dependsOn as string[] | undefined) ?? [];
    console.log(`  ${SAMPLE_PROJECTS[b.project].root}/ai/${b.name}.ai.md  outputs ${JSON.stringify(b.frontmatter.outputs)}${deps.length ? `  after ${deps.join(', ')}` : ''}`);
  }

  let server: AnthropicServer | undefined;
  let env: Record<string, string> = {};
  if (!args.live) {
    server = await startAnthropicServer({ rules: scriptRules(SIX_BATCHES), delayMs: args.delayMs });
    const configDir = join(ws.base, 'claude-config');
    mkdirSync(configDir, { recursive: true });
    env = claudeTestEnv(server.url, configDir);
    console.log(`Scripted model server: ${server.url}`);
  }
  const colorEnv = tty ? { FORCE_COLOR: '1', NO_COLOR: undefined } : {};
  // The claude CLI prices the scripted replies as if a real model wrote them: say so on every line with a cost.
  const stream = args.live ? true : scriptedCosts();
  // --output-style=stream: every task's lines as they come, prefixed with the project (CI mode would hide them).
  const command = ['run-many', '-t', 'ai-generate', '--parallel', String(args.parallel), '--output-style=stream'];
  const problems: string[] = [];

  try {
    // ------------------------------------------------------------------ first run
    heading(`Run 1: nx ${command.join(' ')}`);
    const before1 = server?.requests.length ?? 0;
    const run1: NxResult = await runNx(ws, command, { env: { ...env, ...colorEnv }, stream, signal: controller.signal });
    if (interrupted) return 130;
    const requests1 = server ? server.requests.length - before1 : null;
    if (run1.code !== 0) problems.push(`run 1: nx exited with ${run1.code}`);

    heading('Run 1: what ran, in parallel');
    const rows1 = rowsOf(ws);
    printRun(rows1, run1.durationMs);
    for (const r of rows1) if (r.result?.status !== 'succeeded') problems.push(`run 1: ${r.id} ${r.result?.status ?? 'wrote no result.json'}${r.result?.error ? `: ${r.result.error}` : ''}`);
    if (server) console.log(`  model requests: ${requests1} (${server.mainRequests().length} agent turns across ${new Set(server.mainRequests().map((r) => r.session)).size} sessions)`);

    // ------------------------------------------------------------------ second run
    heading(`Run 2: the same command again`);
    const before2 = server?.requests.length ?? 0;
    // Not streamed: a cache hit reprints the whole task output. Nx's own task and summary lines instead.
    const run2 = await runNx(ws, command, { env: { ...env, ...colorEnv }, signal: controller.signal });
    if (interrupted) return 130;
    for (const line of run2.output.split('\n')) {
      const plain = stripAnsi(line);
      if (/^\s*>\s+nx run \S+:ai-generate--/.test(plain) || /Nx read the output from the cache|Successfully ran|failed/.test(plain)) console.log(line);
      else if (/^\S+: \[\S+:\S+\] /.test(plain)) console.log(line);
    }
    const requests2 = server ? server.requests.length - before2 : null;
    if (run2.code !== 0) problems.push(`run 2: nx exited with ${run2.code}`);

    heading('Run 2: every batch replayed');
    const tasks = nxTaskLines(run2.output);
    const rows2 = SIX_BATCHES.map((b) => {
      const how = tasks.get(`${b.project}:ai-generate--${b.name}`);
      const result = tryReadResult(ws, b.project, b.name);
      let replay: string;
      if (how === 'cache') replay = green('replayed from the Nx cache');
      else if (how === 'run' && result?.status === 'replayed') replay = green('replayed from the plugin result cache');
      else {
        replay = red(how === 'run' ? `ran again (${result?.status ?? 'no result'})` : 'not in the output');
        problems.push(`run 2: ${batchId(b)} was not replayed`);
      }
      return [batchId(b), replay, `${result?.filesChanged?.length ?? '-'} files`];
    });
    console.log(table([['batch', 'run 2', 'outputs'], ...rows2], ['l', 'l', 'r']));
    if (server) {
      const line = `model requests during run 2: ${requests2}`;
      console.log(`\n  ${bold(requests2 === 0 ? green(line) : red(line))} (from the scripted server's request log)`);
      if (requests2 !== 0) problems.push(`run 2 made ${requests2} model request(s)`);
    }
    console.log(`  run 2 took ${secs(run2.durationMs)} (run 1: ${secs(run1.durationMs)})`);

    // ------------------------------------------------------------------ report
    heading('The report: nx-worktree-ai report --all');
    const page = writeReport(ws, args.live, problems);
    if (page) console.log(`\n  ${bold(`report: ${page}`)}`);
  } finally {
    await server?.close();
    if (args.keep) {
      console.log(`\nKept the workspace: ${ws.root}\n  cd ${ws.root} && NX_DAEMON=false NX_CACHE_DIRECTORY=${ws.cacheDir} npx nx show project auth`);
      if (!templateExisted) console.log(`Kept the template it installed: ${ws.template}`);
    } else {
      ws.remove();
      // The template (nx and the tarball installed, ~90 MB) goes too when this run installed it.
      if (!templateExisted) rmSync(ws.template, { recursive: true, force: true });
    }
  }

  if (problems.length) {
    heading(red('Demo failed'));
    for (const p of problems) console.log(`  ${red('✗')} ${p}`);
    if (!args.keep) console.log(dim('  (rerun with --keep to inspect the workspace, .nx-worktree-ai/<project>/<batch>/ and the ai/* branches)'));
    return 1;
  }
  heading(green('Demo succeeded'));
  return 0;
}

/**
 * `nx-worktree-ai report --all` in the workspace, printed; the page and the artifacts it links to
 * copied to dist/demo-report/ (the workspace is removed at the end). Returns the page's path.
 */
function writeReport(ws: Workspace, live: boolean, problems: string[]): string | null {
  const bin = join(ws.root, 'node_modules', '.bin', 'nx-worktree-ai');
  const res = spawnSync(bin, ['report', '--all', ...(live ? [] : ['--scripted-model'])], { cwd: ws.root, env: nxEnv(ws), encoding: 'utf8' });
  // Its last line names the page in the workspace, which goes: the copy's path is printed instead.
  const lines = res.stdout.trimEnd().split('\n').filter((line) => !line.startsWith('report: '));
  console.log(lines.map((line) => (line ? `  ${line}` : '')).join('\n').trimEnd());
  if (res.status !== 0) {
    problems.push(`nx-worktree-ai report exited with ${res.status}: ${res.stderr.trim()}`);
    return null;
  }
  const out = join(REPO_ROOT, 'dist', 'demo-report');
  rmSync(out, { recursive: true, force: true });
  cpSync(join(ws.root, '.nx-worktree-ai'), out, { recursive: true, filter: (src) => !src.includes(`${join('.nx-worktree-ai', '.runs')}`) });
  return join(out, 'report.html');
}

/** Echoes Nx's output, each cost of a finished line marked as the scripted model's (no money was spent). */
function scriptedCosts(): (chunk: string, from: 'stdout' | 'stderr') => void {
  const partial = { stdout: '', stderr: '' };
  return (chunk, from) => {
    const lines = (partial[from] + chunk).split('\n');
    partial[from] = lines.pop()!;
    const text = lines.map((line) => `${line.replace(/ · (\$\d+\.\d+) · /, ' · $1 (scripted model, not spent) · ')}\n`).join('');
    (from === 'stdout' ? process.stdout : process.stderr).write(text);
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
