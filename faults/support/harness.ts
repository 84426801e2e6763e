/**
 * What fault files share: a real Nx workspace built from the packed tarball (testing/workspace/),
 * the real claude CLI against the scripted model server in this process, Nx started in the
 * background so a fault can hit it mid-flight, and the checks every row makes afterwards:
 *
 * - agentProcesses(): processes whose cwd is under the worktree base, or whose command line names
 *   it (scanned in /proc: Linux only);
 * - leftovers(): worktrees, registry entries, locks, temp files and folders a run left;
 * - workspaceDiff(): the workspace (every file's hash, the index, HEAD) against a state taken
 *   before, allowing only the outputs of batches that succeeded, which must hold exactly their
 *   expected files;
 * - lostWork(): finished agents (the scripted server sent their final answer) whose files are on no
 *   branch and in no result-cache entry.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { ROWS_FILE } from './record';
import { setTimeout as delay } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer, type RequestLogEntry, type ScriptRule } from '../../testing/scripted-model/anthropic';
import type { FixtureBatch } from '../../testing/fixtures/six-batches';
import {
  createWorkspace,
  diffWorkspaceStates,
  git,
  nxEnv,
  tryReadResult,
  type NxResult,
  type ProjectDef,
  type Workspace,
  type WorkspaceState,
} from '../../testing/workspace';

export const TARGET = 'ai-generate';

export interface FaultEnv {
  ws: Workspace;
  server: AnthropicServer;
  batches: FixtureBatch[];
  /** `$TMPDIR/nx-worktree-ai` of every Nx run: every worktree of the workspace is below it. */
  worktreeBase: string;
  /** Starts `nx <args>` in its own process group (like a terminal would), in the background. */
  startNx(args: string[], env?: Record<string, string>): RunningNx;
  close(): Promise<void>;
}

export interface RunningNx {
  pid: number;
  output(): string;
  done: Promise<NxResult>;
  /** Signal to the whole process group (a terminal's Ctrl-C reaches every process of the foreground group). */
  signalGroup(signal: NodeJS.Signals): void;
}

export interface FaultEnvOptions {
  projects: Record<string, ProjectDef>;
  batches: FixtureBatch[];
  rules?: ScriptRule[];
  /** Simulated model latency per reply, so runs are mid-flight when hit. */
  delayMs: number;
  prefix: string;
}

const KEEP = !!process.env.NX_WORKTREE_AI_FAULTS_KEEP;
const LOGS_DIR = join(dirname(ROWS_FILE), 'logs');

function writeLog(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export async function createFaultEnv(opts: FaultEnvOptions): Promise<FaultEnv> {
  const server = await startAnthropicServer({ rules: opts.rules ?? opts.batches.map((b) => b.rule), delayMs: opts.delayMs });
  const ws = createWorkspace({ projects: opts.projects, batches: opts.batches, prefix: opts.prefix });
  userWorkInProgress(ws);
  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  const claudeEnv = claudeTestEnv(server.url, configDir);
  let runs = 0;
  return {
    ws,
    server,
    batches: opts.batches,
    worktreeBase: join(ws.tmpDir, 'nx-worktree-ai'),
    startNx: (args, env = {}) => {
      const nx = startNx(ws, args, { ...claudeEnv, ...env });
      // Every run's output, for the one who reads a failing row: dist/faults/logs/<workspace>-<n>.log
      const file = join(LOGS_DIR, `${basename(ws.base)}-${++runs}.log`);
      void nx.done.then(
        (res) => writeLog(file, `$ nx ${args.join(' ')}\n# exit ${res.code}${res.signal ? ` (${res.signal})` : ''} after ${res.durationMs} ms\n\n${res.output}`),
        () => undefined,
      );
      return nx;
    },
    close: async () => {
      await server.close();
      if (KEEP) process.stdout.write(`[faults] kept ${ws.base}\n`);
      else ws.remove();
    },
  };
}

/** What a user has going on while batches run: a modified file, a staged change, an untracked file. */
function userWorkInProgress(ws: Workspace): void {
  writeFileSync(join(ws.root, 'README.md'), `${readFileSync(join(ws.root, 'README.md'), 'utf8')}\nWork in progress.\n`);
  writeFileSync(join(ws.root, 'staged.txt'), 'staged by the user\n');
  git(ws.root, 'add', 'staged.txt');
  writeFileSync(join(ws.root, 'staged.txt'), 'staged by the user\nand edited again\n');
  mkdirSync(join(ws.root, 'notes'), { recursive: true });
  writeFileSync(join(ws.root, 'notes', 'todo.txt'), 'untracked notes\n');
}

function startNx(ws: Workspace, args: string[], env: Record<string, string>): RunningNx {
  const t0 = Date.now();
  const child = spawn(join(ws.root, 'node_modules', '.bin', 'nx'), args, {
    cwd: ws.root,
    env: nxEnv(ws, env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (b: Buffer) => ((stdout += b), (output += b)));
  child.stderr!.on('data', (b: Buffer) => ((stderr += b), (output += b)));
  const done = new Promise<NxResult>((resolve, reject) => {
    child.on('error', reject);
    // 'exit', not 'close': an orphan (a crash leaves agents running) may hold the pipes open.
    child.on('exit', (code, signal) => {
      setTimeout(() => resolve({ code: code ?? 1, signal, stdout, stderr, output, durationMs: Date.now() - t0 }), 200);
    });
  });
  return {
    pid: child.pid!,
    output: () => output,
    done,
    signalGroup: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* gone */
      }
    },
  };
}

/** Runs nx to the end (bounded), returning its result. */
export async function runNx(env: FaultEnv, args: string[], timeoutMs = 240_000, extraEnv: Record<string, string> = {}): Promise<NxResult> {
  const nx = env.startNx(args, extraEnv);
  const timer = setTimeout(() => nx.signalGroup('SIGKILL'), timeoutMs);
  try {
    return await nx.done;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------
// Processes

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cwd: string | null;
  cmdline: string;
}

export function processTable(): ProcInfo[] {
  const procs: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let cwd: string | null = null;
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        /* exited, or not ours */
      }
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      procs.push({ pid: Number(name), state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), cwd, cmdline });
    } catch {
      /* exited meanwhile */
    }
  }
  return procs;
}

/** Live processes working in (or naming) the worktree base: agents and anything they started. */
export function agentProcesses(env: Pick<FaultEnv, 'worktreeBase'>): ProcInfo[] {
  const base = env.worktreeBase;
  return processTable().filter((p) => p.state !== 'Z' && p.pid !== process.pid && ((p.cwd !== null && (p.cwd === base || p.cwd.startsWith(`${base}/`))) || p.cmdline.includes(base)));
}

/** Claude CLI processes running in a worktree of this workspace. */
export function claudeProcesses(env: Pick<FaultEnv, 'worktreeBase'>): ProcInfo[] {
  return agentProcesses(env).filter((p) => /claude/.test(p.cmdline.split(' ')[0]));
}

/** Waits until `check` returns a truthy value (polling), or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** ms until no agent process is left (polling every 50 ms), or null if some are still there after `limitMs`. */
export async function timeUntilNoAgents(env: Pick<FaultEnv, 'worktreeBase'>, limitMs: number, from = Date.now()): Promise<number | null> {
  for (;;) {
    if (agentProcesses(env).length === 0) return Date.now() - from;
    if (Date.now() - from > limitMs) return null;
    await delay(50);
  }
}

// ---------------------------------------------------------------------------------------------------
// Leftovers

export interface Leftovers {
  worktrees: string[];
  registry: string[];
  locks: string[];
  tempFiles: string[];
  /** Anything under the worktree base (folders, prompt files). */
  worktreeBase: string[];
}

function walk(dir: string, filter: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (filter(full)) out.push(full);
    if (entry.isDirectory() && !entry.isSymbolicLink()) out.push(...walk(full, filter));
  }
  return out;
}

/** What a run may leave behind when it did not end well. Every list empty = clean. */
export function leftovers(env: Pick<FaultEnv, 'ws' | 'worktreeBase'>): Leftovers {
  const { ws } = env;
  const gitDir = join(ws.root, '.git');
  const pluginDir = join(gitDir, 'nx-worktree-ai');
  const worktrees = git(ws.root, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length))
    .filter((p) => p !== ws.root);
  const registry = existsSync(join(pluginDir, 'runs')) ? readdirSync(join(pluginDir, 'runs')).map((n) => join(pluginDir, 'runs', n)) : [];
  const locks = walk(gitDir, (p) => p.endsWith('.lock') && !p.endsWith('/nx-worktree-ai/workspace.lock'));
  const tempFiles = [
    ...(existsSync(join(pluginDir, 'tmp')) ? readdirSync(join(pluginDir, 'tmp')).map((n) => join(pluginDir, 'tmp', n)) : []),
    ...walk(ws.root, (p) => /\.nx-worktree-ai-\d+\.tmp$/.test(p) && !p.includes('/node_modules/')),
  ];
  const base = existsSync(env.worktreeBase) ? walk(env.worktreeBase).filter((p) => !statSync(p).isDirectory() || relative(env.worktreeBase, p).split('/').length >= 2) : [];
  return { worktrees, registry, locks, tempFiles, worktreeBase: base };
}

export function leftoverCount(l: Leftovers): number {
  return l.worktrees.length + l.registry.length + l.locks.length + l.tempFiles.length + l.worktreeBase.length;
}

// ---------------------------------------------------------------------------------------------------
// Workspace and work

const under = (globs: string[]) => (path: string) => globs.some((g) => path.startsWith(g.replace(/\*\*$/, '')));

export function outputsOf(env: Pick<FaultEnv, 'ws'>, b: FixtureBatch): string[] {
  const root = env.ws.projects[b.project].root;
  return (b.frontmatter.outputs as string[]).map((g) => `${root}/${g}`);
}

/**
 * Differences between the workspace now and `before`, as lines ([] = as it should be): files of
 * batches whose result.json says succeeded must be exactly their expected files; every other file,
 * the index and HEAD must be as before. Returns also which batches succeeded.
 *
 * `landing`: batches whose agent had finished when the run was killed. Their integration may have
 * written the workspace before the kill came, with no result.json yet (the next run undoes it from
 * the journal or keeps it): in their outputs, a file may be present if it holds exactly what the
 * agent wrote.
 */
export function workspaceDiff(env: Pick<FaultEnv, 'ws' | 'batches'>, before: WorkspaceState, after: WorkspaceState, landing: FixtureBatch[] = []): { diffs: string[]; succeeded: string[] } {
  const { ws } = env;
  const succeeded = env.batches.filter((b) => ['succeeded', 'replayed'].includes(tryReadResult(ws, b.project, b.name)?.status ?? ''));
  const asWritten = (b: FixtureBatch) => (path: string) => under(outputsOf(env, b))(path) && path in b.expectedFiles && after.files[path] !== undefined && readFileSync(join(ws.root, path), 'utf8') === b.expectedFiles[path];
  const mayLand = landing.filter((b) => !succeeded.includes(b)).map(asWritten);
  const inOutputs = under(succeeded.flatMap((b) => outputsOf(env, b)));
  const allowed = (path: string) => inOutputs(path) || mayLand.some((ok) => ok(path));
  const diffs = diffWorkspaceStates(before, after, allowed);
  for (const b of succeeded) {
    const expected = b.expectedFiles;
    const present = Object.keys(after.files).filter(under(outputsOf(env, b)));
    for (const path of present) if (!(path in expected)) diffs.push(`${b.project}:${b.name} left an unexpected file ${path}`);
    for (const [path, content] of Object.entries(expected)) {
      if (!existsSync(join(ws.root, path))) diffs.push(`${b.project}:${b.name} succeeded but ${path} is missing`);
      else if (readFileSync(join(ws.root, path), 'utf8') !== content) diffs.push(`${b.project}:${b.name} succeeded but ${path} differs from what its agent wrote`);
    }
  }
  return { diffs, succeeded: succeeded.map((b) => `${b.project}:${b.name}`) };
}

/** Batches whose agent finished: the scripted server sent its final answer (the rule's last step). */
export function finishedAgents(env: Pick<FaultEnv, 'batches'>, requests: RequestLogEntry[]): FixtureBatch[] {
  return env.batches.filter((b) => requests.some((r) => r.kind === 'main' && r.rule === b.rule.name && r.step === b.rule.steps.length - 1 && r.reply === 'text'));
}

/** Commits where a batch's work may be: its branch, kept branches, result-cache entries (their result commit). */
function candidateCommits(ws: Workspace, b: FixtureBatch): string[] {
  const refs = git(ws.root, 'for-each-ref', '--format=%(refname)', `refs/heads/ai/${b.project}/${b.name}`, `refs/heads/ai-kept/${b.project}/${b.name}/`, 'refs/nx-worktree-ai/cache/')
    .split('\n')
    .filter(Boolean);
  return refs.map((ref) => (ref.startsWith('refs/nx-worktree-ai/cache/') ? `${ref}^1` : ref));
}

function holdsFiles(ws: Workspace, commit: string, files: Record<string, string>): boolean {
  return Object.entries(files).every(([path, content]) => {
    const res = spawnSync('git', ['show', `${commit}:${path}`], { cwd: ws.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return res.status === 0 && res.stdout === content;
  });
}

/** Finished agents whose files are on no branch and in no result-cache entry: lost work. */
export function lostWork(env: Pick<FaultEnv, 'ws' | 'batches'>, finished: FixtureBatch[]): string[] {
  return finished.filter((b) => !candidateCommits(env.ws, b).some((c) => holdsFiles(env.ws, c, b.expectedFiles))).map((b) => `${b.project}:${b.name}`);
}

/** Lines of Nx output that show a git lock error. */
export function gitLockErrors(output: string): string[] {
  return output.split('\n').filter((l) => /index\.lock|cannot lock ref|Unable to create .*\.lock|could not lock config file/i.test(l));
}

export function log(message: string): void {
  process.stdout.write(`[faults] ${message}\n`);
}
