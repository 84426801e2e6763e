/**
 * `nx <args> | cat`: Nx with its standard output a real pipe, as in CI or `nx ... | tee log`
 * (runNx of workspace.ts gives Nx a socket, which is no pipe: see utils/nx-terminal.ts). Each
 * line is stamped with the time this process read it, to tell lines printed live from lines Nx
 * printed at the end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { nxEnv, type Workspace } from './workspace';

export interface PipedNxResult {
  code: number;
  /** stdout and stderr, as Nx wrote them (both into the pipe). */
  output: string;
  /** Each line with when it arrived (ms since the epoch). */
  lines: Array<{ at: number; text: string }>;
  durationMs: number;
}

export function runNxPiped(ws: Pick<Workspace, 'root' | 'cacheDir' | 'tmpDir'>, args: string[], env: Record<string, string | undefined> = {}): Promise<PipedNxResult> {
  const nx = join(ws.root, 'node_modules', '.bin', 'nx');
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'set -o pipefail; "$@" 2>&1 | cat', 'bash', nx, ...args], { cwd: ws.root, env: nxEnv(ws, env), stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let partial = '';
    const lines: PipedNxResult['lines'] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      const at = Date.now();
      output += chunk.toString('utf8');
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ at, text });
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial) lines.push({ at: Date.now(), text: partial });
      resolve({ code: code ?? 1, output, lines, durationMs: Date.now() - t0 });
    });
  });
}
