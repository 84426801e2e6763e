import { defineAdapter } from './adapter';
import { classifyInterrupted, classifyOutcome, crashed, maxTurns, notLoggedIn, type AgentFacts } from './failures';
import { stderrSummary } from './format';
import { buildGeminiInvocation } from './gemini-invocation';
import { createGeminiParser } from './gemini-parser';
import type { AgentFailure, AgentOutcome } from './types';

export const GEMINI_FACTS: AgentFacts = {
  agent: 'gemini',
  credential: 'GEMINI_API_KEY (or run `gemini` once and log in with Google)',
  writeTools: new Set(['write_file', 'replace']),
  permissionAdvice: 'gemini refused its edit tools: leave `gemini: { approvalMode }` unset (auto_edit, the default)',
};

/** gemini's documented exit codes (reference README). */
export const GEMINI_EXIT = { auth: 41, input: 42, sandbox: 44, config: 52, turnLimit: 53, toolError: 54, untrusted: 55, cancelled: 130 } as const;

/**
 * null = success. Judged by the result event and the exit code (gemini exits 41 without credentials,
 * 53 at the turn limit, the HTTP status mod 256 after an API error: 401 -> 145).
 */
export function classifyGemini(outcome: AgentOutcome): AgentFailure | null {
  const interrupted = classifyInterrupted('gemini', outcome);
  if (interrupted) return interrupted;
  if (outcome.result === null && outcome.exitCode !== 0 && outcome.exitCode !== null) {
    const said = stderrSummary(outcome.stderrTail, 300);
    switch (outcome.exitCode) {
      case GEMINI_EXIT.auth:
        return notLoggedIn(GEMINI_FACTS, said === 'nothing on stderr' ? null : said);
      case GEMINI_EXIT.turnLimit:
        return maxTurns('gemini', said);
      case GEMINI_EXIT.untrusted:
        return crashed(`gemini refused to run in an untrusted folder (exit 55): it runs with --skip-trust; check agentArgs and the folder trust settings (${said})`);
      case GEMINI_EXIT.config:
        return crashed(`gemini rejected its configuration (exit 52): check ~/.gemini/settings.json and the batch's gemini.settings (${said})`);
      case GEMINI_EXIT.sandbox:
        return crashed(`gemini could not start its sandbox (exit 44): set gemini.sandbox to false or install docker/podman (${said})`);
      default:
        break;
    }
  }
  return classifyOutcome(GEMINI_FACTS, outcome);
}

export const geminiAdapter = defineAdapter({
  name: 'gemini',
  npmPackage: '@google/gemini-cli',
  facts: GEMINI_FACTS,
  buildInvocation: (request) => buildGeminiInvocation(request),
  createParser: createGeminiParser,
  classify: classifyGemini,
});
