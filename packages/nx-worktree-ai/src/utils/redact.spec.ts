import { createRedactor, isCredentialName, MIN_SECRET_LENGTH, redactFiles, secretsOf } from './redact';

describe('createRedactor', () => {
  const env = {
    ANTHROPIC_API_KEY: 'sk-ant-api03-abcdefghijklmnop',
    GH_TOKEN: 'ghp_1234567890abcdef',
    MY_SERVICE_PASSWORD: 'hunter2hunter2',
    lower_case_secret: 'quiet-value-123',
    SHORT_TOKEN: 'abc12',
    PATH: '/usr/bin:/bin',
    HOME: '/home/dev',
    DB_URL: 'postgres://u:p@host/db',
  };

  it('replaces the known credential variables and *_KEY/_TOKEN/_SECRET/_PASSWORD, naming the variable', () => {
    const redact = createRedactor(env);
    const text = `key=${env.ANTHROPIC_API_KEY} gh=${env.GH_TOKEN} pw=${env.MY_SERVICE_PASSWORD} s=${env.lower_case_secret}`;
    expect(redact(text)).toBe('key=[redacted:ANTHROPIC_API_KEY] gh=[redacted:GH_TOKEN] pw=[redacted:MY_SERVICE_PASSWORD] s=[redacted:lower_case_secret]');
    expect(redact.names).toEqual(['ANTHROPIC_API_KEY', 'GH_TOKEN', 'MY_SERVICE_PASSWORD', 'lower_case_secret']);
  });

  it('leaves ordinary variables and values shorter than the minimum alone', () => {
    const redact = createRedactor(env);
    expect(MIN_SECRET_LENGTH).toBe(6);
    expect(redact('PATH=/usr/bin:/bin home /home/dev abc12 postgres://u:p@host/db')).toBe('PATH=/usr/bin:/bin home /home/dev abc12 postgres://u:p@host/db');
  });

  it('redacts variables named in secretEnv', () => {
    const redact = createRedactor(env, ['DB_URL']);
    expect(redact('connect postgres://u:p@host/db now')).toBe('connect [redacted:DB_URL] now');
  });

  it('finds a value inside JSON strings and URLs', () => {
    const quoted = { QUOTE_SECRET: 'pa"ss\\word/1' };
    const redact = createRedactor(quoted);
    expect(redact(JSON.stringify({ out: `echo ${quoted.QUOTE_SECRET}` }))).toBe('{"out":"echo [redacted:QUOTE_SECRET]"}');
    expect(redact(`https://x.invalid/?t=${encodeURIComponent(quoted.QUOTE_SECRET)}`)).toBe('https://x.invalid/?t=[redacted:QUOTE_SECRET]');
  });

  it('replaces a longer value whole when it contains a shorter one', () => {
    const redact = createRedactor({ A_TOKEN: 'abcdef', B_TOKEN: 'xxabcdefyy' });
    expect(redact('xxabcdefyy abcdef')).toBe('[redacted:B_TOKEN] [redacted:A_TOKEN]');
  });

  it('treats regex characters in values literally', () => {
    const redact = createRedactor({ X_KEY: 'a.b*c+d?e(f)' });
    expect(redact('a.b*c+d?e(f) aXbbbcdde(f)')).toBe('[redacted:X_KEY] aXbbbcdde(f)');
  });

  it('is the identity when there is nothing to redact', () => {
    const redact = createRedactor({ PATH: '/bin' });
    expect(redact('anything')).toBe('anything');
  });
});

describe('secretsOf / isCredentialName', () => {
  it('knows the credential names of every agent CLI', () => {
    for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GH_TOKEN', 'GITHUB_TOKEN', 'COPILOT_GITHUB_TOKEN', 'CURSOR_API_KEY', 'AMP_API_KEY', 'NPM_TOKEN', 'AWS_SECRET', 'X_PASSWORD']) {
      expect({ name, credential: isCredentialName(name) }).toEqual({ name, credential: true });
    }
    expect(isCredentialName('KEYBOARD')).toBe(false);
    expect(isCredentialName('TOKENIZER_PATH')).toBe(false);
  });

  it('skips unset and short values', () => {
    expect([...secretsOf({ A_TOKEN: undefined, B_TOKEN: '12345', C_TOKEN: '123456' }).keys()]).toEqual(['C_TOKEN']);
  });
});

describe('redactFiles', () => {
  it('redacts strings and UTF-8 buffers, leaves binary content alone', () => {
    const redact = createRedactor({ X_TOKEN: 'supersecret' });
    const binary = Buffer.from([0, 1, 2, ...Buffer.from('supersecret')]);
    const out = redactFiles({ a: 'supersecret', b: Buffer.from('x supersecret'), c: binary }, redact);
    expect(out.a).toBe('[redacted:X_TOKEN]');
    expect(out.b.toString()).toBe('x [redacted:X_TOKEN]');
    expect(out.c).toBe(binary);
  });
});
