/** What the e2e files share around a workspace: claude's environment for it, and its removal. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv } from './scripted-model/anthropic';
import type { Workspace } from './workspace';

/** NX_WORKTREE_AI_E2E_KEEP=1 keeps the workspaces of a run to look into. */
export const KEEP_WORKSPACES = !!process.env.NX_WORKTREE_AI_E2E_KEEP;

/** The real claude CLI's environment in a workspace: its own config folder, the scripted server at `url`. */
export function claudeEnvFor(ws: Pick<Workspace, 'base'>, url: string): Record<string, string> {
  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  return claudeTestEnv(url, configDir);
}

/** Removes the workspace after its tests, or keeps it and says where (NX_WORKTREE_AI_E2E_KEEP). */
export function removeUnlessKept(ws: Workspace | undefined, log: (line: string) => void): void {
  if (ws && !KEEP_WORKSPACES) ws.remove();
  else if (ws) log(`kept ${ws.base}`);
}
