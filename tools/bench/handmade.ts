/** Row a's hand-made pattern (handmade.sh): a full worktree per batch, `claude -p &`, wait, merge, remove. */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nxEnv, REPO_ROOT, type BatchDef, type Workspace } from '../../testing/workspace';

export function runHandmade(ws: Workspace, env: Record<string, string>, batches: BatchDef[]): Promise<void> {
  const prompts = join(ws.base, 'prompts');
  mkdirSync(prompts, { recursive: true });
  for (const b of batches) writeFileSync(join(prompts, `${b.name}.md`), b.prompt);
  const claude = join(REPO_ROOT, 'node_modules', '.bin', 'claude');
  return new Promise((resolve, reject) => {
    const child = spawn(join(__dirname, 'handmade.sh'), [ws.root, claude, prompts, ...batches.map((b) => b.name)], {
      env: nxEnv(ws, env),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`handmade.sh exited with ${code}`))));
  });
}
