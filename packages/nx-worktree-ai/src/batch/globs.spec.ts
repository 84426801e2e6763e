import { escapeGlob, expandBraces, globMayCover, globsMayOverlap, joinRootGlob, normalizeGlob } from './globs';

describe('globsMayOverlap', () => {
  const overlap: Array<[string, string]> = [
    ['src/auth/**', 'src/auth/**'],
    ['src/**', 'src/auth/**'],
    ['src/auth', 'src/auth/login.ts'], // a folder output covers its files
    ['src/auth/login.ts', 'src/auth/login.ts'],
    ['**', 'anything/at/all.ts'],
    ['**/*.ts', 'src/a/b/c.ts'],
    ['src/**/*.ts', 'src/x.ts'], // ** matches zero folders
    ['src/*.ts', 'src/login.ts'],
    ['src/*', 'src/a/b.ts'], // a bare * may be a folder
    ['src/a*', 'src/*b'], // "ab"
    ['src/login.*', 'src/*.ts'],
    ['src/?.ts', 'src/a.ts'],
    ['src/[ab].ts', 'src/b.ts'],
    ['src/[a-c].ts', 'src/[c-e].ts'],
    ['src/{auth,api}/**', 'src/api/x.ts'],
    ['src/{a,{b,c}}/**', 'src/c/x'],
    ['src/v{1..3}/**', 'src/v2/x'],
    ['./src//auth/', 'src/auth/x'],
    ['src/+(a|b)/x', 'src/zzz/x'], // extglob: treated as "any folders"
    ['src/[[:alpha:]].ts', 'src/1.ts'], // POSIX class: not modelled, says maybe
    ['src/[!a].ts', 'src/[!b].ts'],
    ['', 'src/x'], // the project root itself
    ['src/auth/**', 'src/auth'],
    ['**/generated/**', 'libs/a/generated/x.ts'],
    ['a/**/b/**/c', 'a/b/c'],
  ];
  it.each(overlap)('%s overlaps %s', (a, b) => {
    expect(globsMayOverlap(a, b)).toBe(true);
    expect(globsMayOverlap(b, a)).toBe(true);
  });

  const disjoint: Array<[string, string]> = [
    ['src/auth/**', 'src/api/**'],
    ['src/auth', 'src/authz'],
    ['src/*.ts', 'src/*.js'],
    ['src/*.ts', 'src/a/b.ts'], // `*` stays inside one folder; `*.ts` names files
    ['src/a*', 'src/b*'],
    ['src/*a', 'src/*b'],
    ['src/?.ts', 'src/ab.ts'],
    ['src/[ab].ts', 'src/c.ts'],
    ['src/[a-c].ts', 'src/[d-f].ts'],
    ['src/{auth,api}/**', 'src/ui/**'],
    ['src/v{1..3}/**', 'src/v4/**'],
    ['docs/**', 'src/**'],
    ['**/*.ts', '**/*.md'],
    ['src/\\*.ts', 'src/a.ts'], // escaped star is literal
    ['libs/a/src/**', 'libs/b/src/**'],
    ['src/login.ts', 'src/login.tsx'],
    ['Src/**', 'src/**'], // case-sensitive
  ];
  it.each(disjoint)('%s does not overlap %s', (a, b) => {
    expect(globsMayOverlap(a, b)).toBe(false);
    expect(globsMayOverlap(b, a)).toBe(false);
  });

  it('says "may overlap" when brace expansion explodes', () => {
    const huge = 'x/{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}/y';
    expect(expandBraces(huge)).toBeNull();
    expect(globsMayOverlap(huge, 'q/**')).toBe(true);
  });

  it('handles many stars without blowing up', () => {
    const a = 'src/' + '*a'.repeat(40) + '.ts';
    const b = 'src/' + '*b'.repeat(40) + '.js';
    expect(globsMayOverlap(a, b)).toBe(false);
  });
});

describe('glob helpers', () => {
  it('expands braces: lists, nesting, ranges, literal {x}', () => {
    expect(expandBraces('a/{b,c}/d')).toEqual(['a/b/d', 'a/c/d']);
    expect(expandBraces('{a,{b,c}}x')).toEqual(['ax', 'bx', 'cx']);
    expect(expandBraces('v{1..3}')).toEqual(['v1', 'v2', 'v3']);
    expect(expandBraces('{a..c}')).toEqual(['a', 'b', 'c']);
    expect(expandBraces('{x}/{a,b}')).toEqual(['{x}/a', '{x}/b']);
    expect(expandBraces('\\{a,b}')).toEqual(['\\{a,b}']);
  });

  it('normalizes and joins with a project root', () => {
    expect(normalizeGlob('./src//a/')).toBe('src/a');
    expect(joinRootGlob('.', './src/**')).toBe('src/**');
    expect(joinRootGlob('libs/a', 'src/**')).toBe('libs/a/src/**');
    expect(joinRootGlob('apps/(shop)', 'src/**')).toBe('apps/\\(shop\\)/src/**');
    expect(escapeGlob('a[1]*.ts')).toBe('a\\[1\\]\\*.ts');
  });

  it('globMayCover: a path, or one of its folders, matched by the glob', () => {
    expect(globMayCover('ai/**', 'ai/x.ai.md')).toBe(true);
    expect(globMayCover('**', 'ai/x.ai.md')).toBe(true);
    expect(globMayCover('src/**', 'ai/x.ai.md')).toBe(false);
    expect(globMayCover('*.md', 'x.ai.md')).toBe(true);
    expect(globMayCover('*.md', 'ai/x.ai.md')).toBe(false);
    expect(globMayCover('src/**', 'src[x]/a')).toBe(false);
  });
});
