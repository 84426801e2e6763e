import { formatDuration } from '../agents/format';
import { TailBuffer } from '../agents/lines';
import { runAgentProcess } from '../agents/process';
import { resolveAgentBin } from '../agents/resolve-bin';
import type { AttemptRecord } from '../results/result';
import type { Redactor } from '../utils/redact';
import type { VerifySettings } from '../resolve/verify';

/** What result.json keeps of the verify output: enough for the failing test's message and stack. */
export const VERIFY_TAIL_CHARS = 4000;

/**
 * One run of the batch's verify command (result.json `attempts[].verify`): exitCode null when it
 * was stopped (timeout, signal) or could not start; outputTail = the last lines of its stdout,
 * then of its stderr, redacted.
 */
export type VerifyRun = NonNullable<AttemptRecord['verify']>;

export function verifyPassed(verify: VerifyRun): boolean {
  return verify.exitCode === 0;
}

/**
 * Runs the verify argv in the worktree root (inside the batch's sandbox through `confine`), no
 * shell, in its own process group (stopped whole on its timeout or a signal), stdin closed. Its output is redacted line by line before anything keeps it.
 */
export async function runVerify(
  settings: VerifySettings,
  cwd: string,
  redact: Redactor,
  log: (line: string) => void,
  signal?: AbortSignal,
  confine: (command: { bin: string; args: string[] }) => { bin: string; args: string[]; env: Record<string, string> } = (command) => ({ ...command, env: {} }),
): Promise<VerifyRun> {
  const [bin, ...args] = settings.argv;
  const started = Date.now();
  const stdout = new TailBuffer(VERIFY_TAIL_CHARS);
  // Programs of the workspace (vitest, jest) are found in the worktree's node_modules/.bin first.
  const found = resolveAgentBin(bin, cwd) ?? bin;
  try {
    const command = confine({ bin: found, args });
    const outcome = await runAgentProcess({ ...command, stdin: null, cwd, timeoutMs: settings.timeoutMs, onLine: (line) => stdout.push(`${line}\n`), redact, signal });
    const stopped = outcome.timedOut ? `(verify timed out after ${formatDuration(settings.timeoutMs)}; verifyTimeout sets the limit)` : outcome.exitCode === null ? `(verify was stopped by ${outcome.signal ?? 'a signal'})` : '';
    return { exitCode: outcome.exitCode, durationMs: Date.now() - started, outputTail: tailOf([stdout.toString(), outcome.stderrTail, stopped]) };
  } catch (error) {
    log(`verify could not start: ${(error as Error).message}`);
    return { exitCode: null, durationMs: Date.now() - started, outputTail: redact((error as Error).message) };
  }
}

/** The parts that are not empty, joined, cut to the last VERIFY_TAIL_CHARS characters at a line start. */
function tailOf(parts: string[]): string {
  const text = parts.map((p) => p.trimEnd()).filter(Boolean).join('\n');
  if (text.length <= VERIFY_TAIL_CHARS) return text;
  const cut = text.slice(-VERIFY_TAIL_CHARS);
  const newline = cut.indexOf('\n');
  return newline >= 0 && newline < 200 ? cut.slice(newline + 1) : cut;
}

/** `npx vitest run` passed (1.2s) / failed with exit code 1 (3.4s). */
export function verifyLine(settings: VerifySettings, verify: VerifyRun): string {
  const how = verifyPassed(verify) ? 'passed' : verify.exitCode === null ? 'did not finish' : `failed with exit code ${verify.exitCode}`;
  return `verify \`${settings.argv.join(' ')}\` ${how} (${formatDuration(verify.durationMs)})`;
}
