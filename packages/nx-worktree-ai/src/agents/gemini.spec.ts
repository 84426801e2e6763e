import { batchFrontmatterSchema } from '../batch/spec';
import { outcomeOf as outcome } from './__fixtures__/request';
import { classifyGemini, geminiAdapter } from './gemini';
import { geminiOptionsSchema } from './options';
import { getAdapter } from './registry';

describe('the gemini section of a batch', () => {
  it('accepts approvalMode, sandbox and settings; refuses the rest', () => {
    expect(geminiOptionsSchema.parse({ approvalMode: 'yolo', sandbox: false, settings: { model: { maxSessionTurns: 3 } } })).toBeTruthy();
    expect(batchFrontmatterSchema.parse({ agent: 'gemini', outputs: ['src/**'], gemini: { approvalMode: 'auto_edit' } }).gemini).toEqual({ approvalMode: 'auto_edit' });
    expect(geminiOptionsSchema.safeParse({ approvalMode: 'auto-edit' }).success).toBe(false);
    expect(geminiOptionsSchema.safeParse({ sandbox: 'docker' }).success).toBe(false);
    expect(geminiOptionsSchema.safeParse({ permissionMode: 'x' }).success).toBe(false);
  });

  it('is registered under its name', () => {
    expect(getAdapter('gemini')).toBe(geminiAdapter);
    expect(geminiAdapter).toMatchObject({ bin: 'gemini', npmPackage: '@google/gemini-cli', versionArgs: ['--version'] });
  });
});

describe('gemini failures by exit code (no result event)', () => {
  it('41: not logged in, naming GEMINI_API_KEY', () => {
    const failure = classifyGemini(outcome(null, 41, { stderrTail: 'When using Gemini API, you must specify the GEMINI_API_KEY environment variable.\n' }));
    expect(failure).toEqual({
      kind: 'not-logged-in',
      message: 'gemini is not logged in (When using Gemini API, you must specify the GEMINI_API_KEY environment variable.): set GEMINI_API_KEY (or run `gemini` once and log in with Google)',
    });
  });

  it('53: the turn limit; 55, 52, 44: what to check; a timeout says it was killed', () => {
    expect(classifyGemini(outcome(null, 53))?.kind).toBe('max-turns');
    expect(classifyGemini(outcome(null, 55))?.message).toContain('untrusted folder');
    expect(classifyGemini(outcome(null, 52))?.message).toContain('configuration');
    expect(classifyGemini(outcome(null, 44))?.message).toContain('sandbox');
    expect(classifyGemini(outcome(null, null, { signal: 'SIGTERM', timedOut: true, timeoutMs: 90_000 }))?.message).toMatch(/^gemini was killed after 1m30s/);
    expect(classifyGemini(outcome(null, 0))?.kind).toBe('crashed');
  });
});
