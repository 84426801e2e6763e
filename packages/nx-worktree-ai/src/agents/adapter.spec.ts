import { classifyWith, defineAdapter } from './adapter';
import { createClaudeParser } from './stream-json';
import { classifyOutcome, type AgentFacts } from './failures';
import type { AgentOutcome } from './types';

const FACTS: AgentFacts = { agent: 'qwen', credential: 'QWEN_KEY', writeTools: new Set(['write']), permissionAdvice: 'check the rules' };
const buildInvocation = () => ({ bin: 'qwen', args: [], env: {}, stdin: null });

describe('defineAdapter', () => {
  it('fills in the binary (the agent name), --version, no npm package and the shared failure classes', () => {
    const adapter = defineAdapter({ name: 'qwen', facts: FACTS, buildInvocation, createParser: createClaudeParser });
    expect(adapter).toEqual({ name: 'qwen', bin: 'qwen', npmPackage: null, versionArgs: ['--version'], buildInvocation, createParser: createClaudeParser, classify: expect.any(Function) });
    const crashed: AgentOutcome = { exitCode: 3, signal: null, timedOut: false, result: null, stderrTail: 'boom' };
    expect(adapter.classify(crashed)).toEqual(classifyOutcome(FACTS, crashed));
    expect(adapter.classify(crashed)?.kind).toBe('crashed');
  });

  it('keeps what is given', () => {
    const classify = classifyWith(FACTS);
    const adapter = defineAdapter({ name: 'cursor', bin: 'cursor-agent', install: 'see the site', versionArgs: ['-v'], facts: FACTS, classify, buildInvocation, createParser: createClaudeParser });
    expect(adapter).toMatchObject({ bin: 'cursor-agent', install: 'see the site', versionArgs: ['-v'], npmPackage: null });
    expect(adapter.classify).toBe(classify);
  });
});
