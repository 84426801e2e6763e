/**
 * `npm run demo`, end to end (after `npm run pack`, as the npm script does): with a temp folder of
 * its own, so what it leaves there can be seen. It ends with the report, whose path it prints, its
 * costs labelled as the scripted model's; and it leaves nothing of its own in the temp folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../testing/temp';
import { REPO_ROOT, stripAnsi } from '../testing/workspace';

jest.setTimeout(10 * 60_000);

test('the demo ends with the report and its path, labels scripted costs, and cleans the temp folder', () => {
  const tmp = tempDir('nxwa-e2e-demo-tmp-');
  try {
    const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const env = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp };
    const res = spawnSync(tsx, [join(REPO_ROOT, 'tools', 'demo', 'demo.ts'), '--delay', '0'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 9 * 60_000 });
    const out = stripAnsi(`${res.stdout}\n${res.stderr}`);
    if (res.status !== 0) throw new Error(`demo: exit ${res.status}\n${out}`);
    expect(out).toContain('== Demo succeeded');
    // The executors' lines with a cost say whose it is.
    expect(out).toMatch(/\[auth:auth-module\] succeeded · 6 turns · .* · \$\d+\.\d{4} \(scripted model, not spent\) · /);
    const page = /^\s*report: (\S+)$/m.exec(out)?.[1];
    expect(page).toBe(join(REPO_ROOT, 'dist', 'demo-report', 'report.html'));
    const html = readFileSync(page!, 'utf8');
    expect(html).toContain('Scripted model: the costs below are what the agent CLIs computed');
    expect(html.match(/<section class="run"/g)).toHaveLength(2);
    expect(existsSync(join(page!, '..', 'auth', 'auth-module', 'prompt.md'))).toBe(true);
    expect(out).toContain("cost: what the agent CLI computed for a scripted model's replies; no money was spent");
    // What the demo made in the temp folder is gone: the workspace and the template it installed
    // (tsx, which runs it, keeps its own compile cache there).
    expect(readdirSync(tmp).filter((name) => !/^tsx-\d+$/.test(name))).toEqual([]);
  } finally {
    removeDir(tmp);
  }
});
