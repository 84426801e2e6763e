import { buildCodexInvocation } from './codex';
import { codexProviderOf } from './codex-provider';
import { parseTomlKey, parseTomlValue } from './toml-value';

describe('codexProviderOf: the provider a codex argv uses', () => {
  it('reads the -c overrides the adapter writes from codex.config', () => {
    const { args } = buildCodexInvocation({
      prompt: 'p',
      promptFile: '/tmp/p',
      cwd: '/tmp',
      model: null,
      maxTurns: null,
      maxBudgetUsd: null,
      command: null,
      extraArgs: [],
      resumeSessionId: null,
      options: { config: { model_provider: 'local', 'model_providers.local': { name: 'Local "quoted"', base_url: 'http://127.0.0.1:1/v1', env_key: 'LOCAL_KEY', request_max_retries: 0 } } },
    });
    expect(codexProviderOf(args)).toEqual({ id: 'local', envKey: 'LOCAL_KEY', baseUrl: 'http://127.0.0.1:1/v1', fromArgs: true });
  });

  it('reads the forms users write in agentArgs; a later override wins', () => {
    expect(codexProviderOf(['-c', "model_providers.x={base_url='http://a/v1', env_key='A_KEY'}", '--config=model_provider=x', '-c', 'model_providers.x.env_key="B_KEY"'])).toEqual({
      id: 'x',
      envKey: 'B_KEY',
      baseUrl: 'http://a/v1',
      fromArgs: true,
    });
    // A value that is not TOML is a plain string to codex.
    expect(codexProviderOf(['-c', 'model_provider=x', '-c', 'model_providers={ x = { env_key = "C_KEY" } }']).envKey).toBe('C_KEY');
  });

  it("codex's own provider without overrides; a provider only in config.toml is unknown", () => {
    expect(codexProviderOf(['exec', '--json', '-'])).toEqual({ id: 'openai', envKey: 'CODEX_API_KEY', baseUrl: 'https://api.openai.com/v1', fromArgs: false });
    expect(codexProviderOf(['-c', 'model_provider="corp"'])).toEqual({ id: 'corp', envKey: null, baseUrl: null, fromArgs: false });
  });
});

describe('TOML values and keys', () => {
  it('reads strings, numbers, booleans, arrays and inline tables', () => {
    expect(parseTomlValue('{ a = "x\\"y\\u00e9", b = 1_000, c = [true, -2.5, \'lit\\eral\'], "d.e" = { f = false } }')).toEqual({
      a: 'x"yé',
      b: 1000,
      c: [true, -2.5, 'lit\\eral'],
      'd.e': { f: false },
    });
    expect(parseTomlKey('model_providers."my.provider".env_key')).toEqual(['model_providers', 'my.provider', 'env_key']);
  });

  it('returns null for what is not one TOML value', () => {
    for (const text of ['bare words', '"open', '{ a = 1', '[1, 2', 'x = 1', '']) expect({ text, value: parseTomlValue(text) }).toEqual({ text, value: null });
  });
});
