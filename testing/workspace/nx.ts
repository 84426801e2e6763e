/** Running Nx in a workspace as a user would, with the environment every e2e run shares. */
import { spawn, spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { TEST_GIT_IDENTITY } from '../temp';
import { REPO_ROOT, type Workspace } from './defs';
import { cleanEnv } from './template';

export interface NxResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  durationMs: number;
}

export interface RunNxOptions {
  /** Added to (and overriding) the environment described at nxEnv. */
  env?: Record<string, string | undefined>;
  /** Echo the output while it runs: true = this process's stdout/stderr, or a function per chunk. */
  stream?: boolean | ((chunk: string, from: 'stdout' | 'stderr') => void);
  /** Kill the Nx process group after this many ms (default 10 min). */
  timeoutMs?: number;
  /** Aborting kills the Nx process group (it runs detached, so a terminal's Ctrl-C does not reach it). */
  signal?: AbortSignal;
  cwd?: string;
}

/**
 * The environment of every Nx run: no daemon, no cloud, CI, no TUI, a cache directory outside the
 * workspace, TMPDIR outside the workspace (the plugin puts its worktrees there), a git identity, and
 * PATH starting with this repository's node_modules/.bin so the real `claude` CLI is found.
 */
export function nxEnv(ws: Pick<Workspace, 'cacheDir' | 'tmpDir'>, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    ...TEST_GIT_IDENTITY,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: ws.cacheDir,
    NX_SKIP_NX_CACHE: undefined,
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    TMPDIR: ws.tmpDir,
    TMP: ws.tmpDir,
    TEMP: ws.tmpDir,
    PATH: [join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

function nxCommand(root: string): [string, string[]] {
  // POSIX: the workspace's own bin, as a user runs it. Windows: the .cmd shim needs a shell, so run nx.js.
  if (process.platform === 'win32') return [process.execPath, [join(root, 'node_modules', 'nx', 'bin', 'nx.js')]];
  return [join(root, 'node_modules', '.bin', 'nx'), []];
}

/** Runs `nx <args>` in the workspace (asynchronously, so a scripted model server in this process keeps answering). */
export function runNx(ws: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'>, args: string[], opts: RunNxOptions = {}): Promise<NxResult> {
  const [cmd, lead] = nxCommand(ws.root);
  const t0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...lead, ...args], {
      cwd: opts.cwd ?? ws.root,
      env: nxEnv(ws, opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    const onData = (from: 'stdout' | 'stderr') => (buf: Buffer) => {
      const s = buf.toString('utf8');
      if (from === 'stdout') stdout += s;
      else stderr += s;
      output += s;
      if (opts.stream === true) (from === 'stdout' ? process.stdout : process.stderr).write(s);
      else if (typeof opts.stream === 'function') opts.stream(s, from);
    };
    child.stdout!.on('data', onData('stdout'));
    child.stderr!.on('data', onData('stderr'));
    const timer = setTimeout(() => {
      output += `\n[runNx] timeout after ${opts.timeoutMs ?? 600_000} ms: killing nx ${args.join(' ')}\n`;
      killTree(child.pid);
    }, opts.timeoutMs ?? 600_000);
    const onAbort = () => {
      output += `\n[runNx] aborted: killing nx ${args.join(' ')}\n`;
      killTree(child.pid, 'SIGTERM');
      setTimeout(() => killTree(child.pid), 3000).unref();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolvePromise({ code: code ?? 1, signal, stdout, stderr, output, durationMs: Date.now() - t0 });
    });
  });
}

function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

/** Synchronous variant, for setup steps that need no model server (init generator, show projects). */
export function runNxSync(ws: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'>, args: string[], opts: Pick<RunNxOptions, 'env' | 'timeoutMs' | 'cwd'> = {}): NxResult {
  const [cmd, lead] = nxCommand(ws.root);
  const t0 = Date.now();
  const res = spawnSync(cmd, [...lead, ...args], {
    cwd: opts.cwd ?? ws.root,
    env: nxEnv(ws, opts.env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
  });
  if (res.error) throw res.error;
  return {
    code: res.status ?? 1,
    signal: res.signal,
    stdout: res.stdout,
    stderr: res.stderr,
    output: res.stdout + res.stderr,
    durationMs: Date.now() - t0,
  };
}

/** Removes ANSI escapes from Nx output. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');
}

/**
 * How Nx reported each task of a run: `cache` when Nx restored it from its cache (the executor did
 * not run), `run` when it ran. Parsed from Nx's task lines (any output style).
 */
export function nxTaskLines(output: string): Map<string, 'cache' | 'run'> {
  const tasks = new Map<string, 'cache' | 'run'>();
  for (const line of stripAnsi(output).split('\n')) {
    // static/stream style: `> nx run p:t  [local cache]`; the CI summary style: `✔  nx run p:t  [local cache]`.
    const m = /^\s*(?:>|✔|✖|√|×)\s+nx run\s+(\S+?:\S+)(.*)$/.exec(line);
    if (!m) continue;
    const cached = /\[(local cache|remote cache|existing outputs match the cache, left as is)\]/.test(m[2]);
    tasks.set(m[1], cached ? 'cache' : 'run');
  }
  return tasks;
}
