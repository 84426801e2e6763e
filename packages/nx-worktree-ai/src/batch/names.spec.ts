import { BatchFileError, parseBatchFile } from './parse';
import { batchNameProblem, contextEntryProblem, globProblem, modelProblem, printable, projectNameProblem, relativePathProblem, treePathProblem } from './names';

const ok = (problem: string | null) => expect(problem).toBeNull();

describe('projectNameProblem', () => {
  it.each(['auth', 'shared-ui', '@acme/shared-ui', 'my_lib.v2', 'e2e+perf', 'A1'])('accepts %s', (name) => ok(projectNameProblem(name)));

  it.each([
    ['--upload-pack=touch /tmp/pwned', /starts with "-"/],
    ['-x', /starts with "-"/],
    ['..', /"\.\." part/],
    ['../../etc', /"\.\." part/],
    ['a/../b', /"\.\." part/],
    ['/abs', /empty part/],
    ['a//b', /empty part/],
    ['a/', /empty part/],
    ['.hidden', /starts with "\."/],
    ['x.lock', /\.lock/],
    ['a..b', /"\.\."/],
    ['has space', /only letters/],
    ['semi;colon', /only letters/],
    ['back\\slash', /only letters/],
    ['tab\there', /control character U\+0009/],
    ['esc\u001b[2J', /control character U\+001B/],
    ['rtl\u202eoverride', /control character U\+202E/],
    ['', /empty/],
  ])('refuses %j', (name, message) => expect(projectNameProblem(name)).toMatch(message));
});

describe('batchNameProblem', () => {
  it.each(['auth-module', 'v2.0', 'a_b'])('accepts %s', (name) => ok(batchNameProblem(name)));
  it.each(['-x', '.x', 'a..b', 'x.lock', 'x.', 'a/b', 'a b', 'a\nb', ''])('refuses %j', (name) => expect(batchNameProblem(name)).not.toBeNull());
});

describe('globProblem / contextEntryProblem / relativePathProblem', () => {
  it.each(['src/auth/**', 'src/**/*.ts', '\\[id\\].ts', 'src/{a,b}/**', '.env.example', 'src'])('accepts the glob %s', (g) => ok(globProblem(g)));

  it.each([
    ['../secrets/**', /"\.\."/],
    ['src/../../x', /"\.\."/],
    ['{..,src}/**', /as \.\.\/\*\*/],
    ['/etc/**', /absolute/],
    ['C:/x', /absolute/],
    ['\\\\server\\share', /absolute/],
    ['--upload-pack=x', /starts with "-"/],
    ['src/\u0000x', /control character/],
  ])('refuses the glob %j', (g, message) => expect(globProblem(g)).toMatch(message));

  it('checks context entries after their {workspaceRoot}/{projectRoot} prefix and negation', () => {
    ok(contextEntryProblem('{workspaceRoot}/docs/api.md'));
    ok(contextEntryProblem('!{projectRoot}/src/gen/**'));
    expect(contextEntryProblem('{workspaceRoot}/../other-repo/**')).toMatch(/"\.\."/);
    expect(contextEntryProblem('{workspaceRoot}//etc/passwd')).toMatch(/absolute/);
  });

  it('keeps workspace paths below the root', () => {
    ok(relativePathProblem('libs/auth/ai/x.ai.md'));
    expect(relativePathProblem('../x.ai.md')).toMatch(/"\.\."/);
    expect(relativePathProblem('libs\\..\\..\\x')).toMatch(/"\.\."/);
    expect(relativePathProblem('/etc/passwd')).toMatch(/absolute/);
    expect(relativePathProblem('-c')).toMatch(/starts with "-"/);
  });

  it('refuses model names that look like options', () => {
    ok(modelProblem('sonnet'));
    ok(modelProblem('claude-sonnet-4-5[1m]'));
    ok(modelProblem('us.anthropic.claude-3-7-sonnet-20250219-v1:0'));
    expect(modelProblem('--dangerously-skip-permissions')).toMatch(/starts with "-"/);
    expect(modelProblem('a b')).toMatch(/whitespace/);
  });

  it('prints hidden characters as escapes', () => {
    expect(printable('a\u001b[2Jb\u202e')).toBe('a\\u001b[2Jb\\u202e');
  });
});

describe('the batch file refuses hostile values (same parser for plugin and executor)', () => {
  const file = (fm: string) => `---\n${fm}\n---\nDo it.\n`;
  const problems = (name: string, fm: string) => {
    try {
      parseBatchFile(`libs/a/ai/${name}.ai.md`, file(fm), 'libs/a');
    } catch (e) {
      expect(e).toBeInstanceOf(BatchFileError);
      return (e as BatchFileError).problems.join('\n');
    }
    throw new Error('expected a BatchFileError');
  };

  it.each([
    ['outputs: ["../../etc/**"]', /key "outputs\.0": got "\.\.\/\.\.\/etc\/\*\*"; expected a glob relative to the project root.*contains "\.\."/],
    ['outputs: ["/etc/**"]', /key "outputs\.0".*absolute/],
    ['outputs: ["{..,src}/**"]', /key "outputs\.0".*as \.\.\/\*\*/],
    ['outputs: ["--upload-pack=x"]', /key "outputs\.0".*starts with "-"/],
    ['outputs: ["src/**"]\ncontext: ["{workspaceRoot}/../x"]', /key "context\.0".*contains "\.\."/],
    ['outputs: ["src/**"]\ndependsOn: ["../x"]', /key "dependsOn\.0"/],
    ['outputs: ["src/**"]\ndependsOn: ["-x"]', /key "dependsOn\.0"/],
    ['outputs: ["src/**"]\ndependsOn: ["..:x"]', /key "dependsOn\.0"/],
    ['outputs: ["src/**"]\nmodel: "--dangerously-skip-permissions"', /key "model".*starts with "-"/],
    ['outputs: ["src/\\u001b[31mred"]', /key "outputs\.0".*control character U\+001B/],
  ])('%s', (fm, message) => expect(problems('ok', fm)).toMatch(message));

  it('refuses batch names that would be bad branch names', () => {
    expect(problems('a..b', 'outputs: [src/**]')).toMatch(/batch name "a\.\.b".*contains "\.\."/);
    expect(problems('x.lock', 'outputs: [src/**]')).toMatch(/\.lock/);
  });
});

describe('treePathProblem (paths the plugin writes into the workspace)', () => {
  it.each(['libs/a/src/x.ts', 'a/.gitignore', 'a/.github/workflows/ci.yml', '.env.example'])('accepts %s', (p) => expect(treePathProblem(p)).toBeNull());
  it.each([
    ['libs/a/../../x', /"\.\." part/],
    ['.git/hooks/pre-commit', /\.git part/],
    ['libs/a/.GIT/config', /\.git part/],
    ['/etc/passwd', /absolute/],
    ['a//b', /"" part/],
    ['a/./b', /"\." part/],
    ['a\\b', /backslash/],
    ['a\nb', /control character/],
  ])('refuses %j', (p, message) => expect(treePathProblem(p)).toMatch(message));

  it('refuses output globs naming .git', () => {
    expect(globProblem('.git/**')).toMatch(/\.git folder/);
    expect(globProblem('src/{.git,x}/**')).toMatch(/\.git folder/);
    expect(globProblem('.github/**')).toBeNull();
  });
});
