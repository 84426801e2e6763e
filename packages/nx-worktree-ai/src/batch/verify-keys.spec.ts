import { BatchFileError, parseBatchFile } from './parse';
import { resolveSamples, resolveVerify } from '../resolve/verify';

const parse = (fm: string) => parseBatchFile('libs/a/ai/x.ai.md', `---\noutputs: [src/**]\n${fm}\n---\nDo it.\n`, 'libs/a');
const problems = (fm: string) => {
  try {
    parse(fm);
  } catch (e) {
    expect(e).toBeInstanceOf(BatchFileError);
    return (e as BatchFileError).problems.join('\n');
  }
  throw new Error('expected a BatchFileError');
};

describe('verify, verifyTimeout and attempts in a batch file', () => {
  it('substitutes {projectRoot} in the argv and defaults to 3 attempts and a 10m timeout', () => {
    expect(resolveVerify(parse('verify: [npx, vitest, run, "{projectRoot}/src"]'))).toEqual({ argv: ['npx', 'vitest', 'run', 'libs/a/src'], timeoutMs: 600_000, attempts: 3 });
    expect(resolveVerify(parse('verify: [node, check.js]\nverifyTimeout: 90s\nattempts: 1'))).toEqual({ argv: ['node', 'check.js'], timeoutMs: 90_000, attempts: 1 });
    expect(resolveVerify(parse('description: none'))).toBeNull();
  });

  it('refuses attempts or verifyTimeout without verify, a shell string and a runaway attempt count, naming the key', () => {
    expect(problems('attempts: 3')).toMatch(/key "attempts": 3 needs "verify"/);
    expect(problems('verifyTimeout: 5m')).toMatch(/key "verifyTimeout": needs "verify"/);
    expect(problems('verify: "npm test"')).toMatch(/key "verify": got "npm test"; expected a list/);
    expect(problems('verify: []')).toMatch(/key "verify".*at least 1/);
    expect(problems('verify: [npm, test]\nattempts: 11')).toMatch(/key "attempts"/);
  });
});

describe('samples and samplesAgents in a batch file', () => {
  it('gives each sample its agent: samplesAgents in turn, else the batch agent; samples defaults to their number', () => {
    expect(resolveSamples(parse('description: once'), 'claude')).toEqual(['claude']);
    expect(resolveSamples(parse('verify: [npm, test]\nsamples: 3'), 'codex')).toEqual(['codex', 'codex', 'codex']);
    expect(resolveSamples(parse('verify: [npm, test]\nsamplesAgents: [claude, codex]'), 'claude')).toEqual(['claude', 'codex']);
    expect(resolveSamples(parse('verify: [npm, test]\nsamples: 3\nsamplesAgents: [claude, codex]'), 'claude')).toEqual(['claude', 'codex', 'claude']);
  });

  it('refuses samples without verify (nothing to choose by), unknown agents and too many samples', () => {
    expect(problems('samples: 2')).toMatch(/key "samples": 2 samples need "verify".*nothing to choose a sample by/);
    expect(problems('samplesAgents: [claude, codex]')).toMatch(/key "samples": 2 samples need "verify"/);
    expect(problems('verify: [npm, test]\nsamplesAgents: [claude, gpt]')).toMatch(/key "samplesAgents.1": got "gpt"; expected one of "claude"/);
    expect(problems('verify: [npm, test]\nsamples: 9')).toMatch(/key "samples"/);
    expect(parse('samples: 1').frontmatter.samples).toBe(1);
  });
});
