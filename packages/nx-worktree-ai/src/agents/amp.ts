import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { unsupportedLimits } from './argv';
import { createClaudeParser } from './stream-json';
import { defineAdapter } from './adapter';
import type { AgentFacts } from './failures';
import type { AgentFailure, AgentInvocation, AgentRunRequest } from './types';

export const AMP_FACTS: AgentFacts = {
  agent: 'amp',
  credential: 'AMP_API_KEY (an access token from https://ampcode.com/settings/security#access-token) or run `amp login`',
  writeTools: new Set(['edit_file', 'create_file', 'Edit', 'Write']),
  permissionAdvice: 'check amp.permissions in your amp settings (~/.config/amp/settings.json)',
  hangHint: 'amp waits for a browser login when it finds no credentials',
};

/**
 * `amp --execute --stream-json --no-ide [--mode M] <agentArgs>`, prompt on stdin (amp --help:
 * "execute provided prompt (either as argument, or via stdin)"); resuming:
 * `amp threads continue <thread> --execute --stream-json ...`. amp has no model flag: `model` is
 * passed as --mode (low, medium, high, ultra, or a plugin mode). --no-ide: the IDE's open files
 * and selection are the user's, not the worktree's.
 */
export function buildAmpInvocation(request: AgentRunRequest): AgentInvocation {
  const args = request.resumeSessionId ? ['threads', 'continue', request.resumeSessionId] : [];
  args.push('--execute', '--stream-json', '--no-ide');
  if (request.model) args.push('--mode', request.model);
  args.push(...request.extraArgs);
  return { bin: 'amp', args, env: {}, stdin: request.prompt, warnings: unsupportedLimits('amp', request, { maxTurns: false, maxBudgetUsd: false }) };
}

/** Where `amp login` keeps its key: $XDG_DATA_HOME/amp/secrets.json (default ~/.local/share). */
export function ampSecretsFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'amp', 'secrets.json');
}

function hasStoredKey(file: string): boolean {
  try {
    if (!existsSync(file)) return false;
    const secrets: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof secrets === 'object' && secrets !== null && Object.entries(secrets).some(([key, value]) => key.startsWith('apiKey') && typeof value === 'string' && value !== '');
  } catch {
    return false;
  }
}

/**
 * Without credentials amp starts a browser login and waits forever, so a run without AMP_API_KEY
 * (or a key stored by `amp login`) fails here, at once, instead of at its timeout.
 */
export function ampPreflight(env: NodeJS.ProcessEnv): AgentFailure | null {
  if (env.AMP_API_KEY?.trim()) return null;
  const secrets = ampSecretsFile(env);
  if (hasStoredKey(secrets)) return null;
  return {
    kind: 'not-logged-in',
    message: `amp has no credentials (AMP_API_KEY is not set and ${secrets} holds no key): without them it waits for a browser login forever. Set ${AMP_FACTS.credential}`,
  };
}

/** amp --stream-json is "Claude Code-compatible": Claude's parser. */
export const ampAdapter = defineAdapter({
  name: 'amp',
  npmPackage: '@ampcode/cli',
  facts: AMP_FACTS,
  preflight: ampPreflight,
  buildInvocation: buildAmpInvocation,
  createParser: createClaudeParser,
});
