import { execa } from 'execa';

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
 */
export async function gitRaw(cwd: string, args: string[], options: GitOptions = {}): Promise<GitOutput> {
  const result = await execa('git', args, {
    cwd,
    env: { ...GIT_ENV, ...options.env },
    input: options.input ?? '',
    encoding: 'buffer',
    stripFinalNewline: false,
    // Blobs and fast-import streams have no size limit here; the exit code decides, not execa.
    maxBuffer: Number.POSITIVE_INFINITY,
    reject: false,
    // No exit hook: it would add signal listeners that the signal guard and trackGroup count.
    cleanup: false,
  });
  if (result.exitCode === undefined && result.signal === undefined) throw result.cause ?? result;
  const exitCode = result.exitCode ?? -1;
  if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) return { stdout: asBuffer(result.stdout), exitCode };
  throw new GitError(args, result.exitCode ?? null, asBuffer(result.stderr).toString('utf8'));
}

/** execa's bytes as a Buffer over the same memory (a blob is not copied twice). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
