import { spawn } from 'node:child_process';

/** A git command that failed: the command line, exit code and stderr. */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || '(no output)'}`);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  /** Resolve instead of throwing on these exit codes (e.g. `merge-file` exits 1 on conflicts). */
  okExitCodes?: number[];
}

export interface GitOutput {
  stdout: Buffer;
  exitCode: number;
}

/** Set for every git the plugin runs, over the user's environment. */
export const GIT_ENV = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

/**
 * Runs git with an argv array (never a shell). Output stays binary: blobs are not text.
 * GIT_OPTIONAL_LOCKS=0 keeps read commands from taking the index lock of a workspace the user works in.
 *
 * On node:child_process rather than a process library: a batch runs some 25 short git commands
 * with nothing but argv, input and captured output, and execa cost each of them ~10 ms more wall
 * time and 2 ms more CPU (README, design notes).
 */
export function gitRaw(cwd: string, args: string[], options: GitOptions = {}): Promise<GitOutput> {
  started++;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, ...GIT_ENV, ...options.env }, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], windowsHide: true });
    // Blobs and fast-import streams have no size limit here; the exit code decides.
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const exitCode = code ?? -1;
      if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) resolve({ stdout: Buffer.concat(stdout), exitCode });
      else reject(new GitError(args, code, Buffer.concat(stderr).toString('utf8')));
    });
    if (child.stdin) {
      // git may exit before reading all its input (a failed fast-import): its exit code says why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

let started = 0;

/**
 * git processes this process has started so far (timings.json `gitProcesses`: a count of the
 * plugin's work that the machine's load does not change, unlike its CPU time).
 */
export function gitProcessCount(): number {
  return started;
}

/** Runs git and returns stdout as text with the trailing newline removed. */
export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<string> {
  const { stdout } = await gitRaw(cwd, args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** Splits `-z` output into its records. */
export function splitNul(text: string): string[] {
  return text.split('\0').filter((part) => part.length > 0);
}

/** Fixed identity for the plugin's own commits (snapshots, results): no user config needed, stable hashes. */
export const PLUGIN_IDENTITY = {
  GIT_AUTHOR_NAME: 'nx-worktree-ai',
  GIT_AUTHOR_EMAIL: 'nx-worktree-ai@users.noreply.invalid',
  GIT_COMMITTER_NAME: 'nx-worktree-ai',
  GIT_COMMITTER_EMAIL: 'nx-worktree-ai@users.noreply.invalid',
};
