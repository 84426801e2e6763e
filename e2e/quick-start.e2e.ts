/**
 * The README's Quick start, run as it is written: its second code block, line by line through bash,
 * in a workspace shaped like `create-nx-workspace acme --preset=ts` (projects such as @acme/auth in
 * packages/), next to a "clone" of this repository (a link to it) where `npm run pack` built the
 * tarball. The real claude CLI the first line installs talks to the scripted model server.
 * A change to the Quick start that stops working fails this test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../testing/scripted-model/anthropic';
import { createPresetWorkspace, quickStartBlocks, runShellLine, type PresetWorkspace } from '../testing/quick-start';
import { nxEnv, stripAnsi } from '../testing/workspace';

jest.setTimeout(15 * 60_000);

const LOGIN = "export function login(user: string): string {\n  return `hello ${user}`;\n}\n";
const PROMPT = 'Write src/auth/login.ts with a login function. SCRIPT:quick-start';

let server: AnthropicServer;
let ws: PresetWorkspace | undefined;

beforeAll(async () => {
  server = await startAnthropicServer({
    rules: [{ name: 'quick-start', match: 'SCRIPT:quick-start', steps: [{ write: { path: 'packages/auth/src/auth/login.ts', content: LOGIN } }, { text: 'Done.' }] }],
  });
});

afterAll(async () => {
  await server?.close();
  if (ws && !process.env.NX_WORKTREE_AI_E2E_KEEP) ws.remove();
});

test('the Quick start, literally: install from the tarball, init, batch, prompt, doctor, run, report', async () => {
  const [build, commands] = quickStartBlocks();
  // The first block builds the tarball in the clone; the second installs the file it writes.
  const clone = /^cd (\S+)/.exec(build[0])?.[1];
  expect(build.join('\n')).toMatch(/npm run pack\s+# writes dist\/nx-worktree-ai\.tgz/);
  expect(commands[0]).toMatch(new RegExp(`^npm i -D \\.\\./${clone}/dist/nx-worktree-ai\\.tgz @anthropic-ai/claude-code@\\^2\\.1\\.330$`));
  ws = createPresetWorkspace('acme', clone!);
  const root = ws.root;

  // $EDITOR: a program that writes the prompt below the frontmatter the batch generator made.
  const editor = join(ws.base, 'write-prompt.cjs');
  writeFileSync(
    editor,
    "const fs = require('fs'); const f = process.argv[2]; const t = fs.readFileSync(f, 'utf8');\n" +
      "fs.writeFileSync(f, t.slice(0, t.indexOf('\\n---\\n', 3) + 5) + process.env.QUICK_START_PROMPT + '\\n');\n",
  );
  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  // A machine without this repository's CLIs on PATH: the workspace's own node_modules/.bin serves.
  const base = { ...nxEnv(ws, { PATH: process.env.PATH }), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  // claude's environment routes HTTP(S) to the scripted server: npm gets the plain one.
  const agentEnv = { ...base, ...claudeTestEnv(server.url, configDir), EDITOR: `node ${editor}`, QUICK_START_PROMPT: PROMPT };

  const outputs: string[] = [];
  for (const line of commands) {
    const res = await runShellLine(line, root, line.startsWith('npm ') ? base : agentEnv);
    const text = stripAnsi(res.output);
    process.stdout.write(`[quick-start] $ ${line}\n-> exit ${res.code}\n`);
    if (res.code !== 0) throw new Error(`the Quick start's line failed (exit ${res.code}): ${line}\n${text}`);
    outputs.push(text);
  }

  const at = (prefix: string) => outputs[commands.findIndex((l) => l.startsWith(prefix))];
  expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['nx-worktree-ai']).toBe(`file:../${clone}/dist/nx-worktree-ai.tgz`);
  expect(readFileSync(join(root, 'packages/auth/ai/auth-module.ai.md'), 'utf8')).toBe(`---\nagent: claude\noutputs: [src/auth/**]\n---\n${PROMPT}\n`);
  // doctor, from the installed tarball: the claude the first line installed, its credentials by name.
  const doctor = at('npx nx-worktree-ai doctor');
  expect(doctor).toMatch(/\n {2}ok {4}claude {14}2\.1\.\d+ at node_modules\/\.bin\/claude \(used by @acme\/auth:auth-module; tested 2\.1\.330\)\n/);
  expect(doctor).toMatch(/\n {2}ok {4}claude credentials {2}ANTHROPIC_API_KEY is set\n/);
  expect(doctor).toMatch(/\n {2}ok {4}plugin {14}nx-worktree-ai is registered in nx.json\n/);
  // The batch ran against the scripted model and its file is in the workspace.
  expect(server.mainRequests().length).toBeGreaterThan(0);
  expect(readFileSync(join(root, 'packages/auth/src/auth/login.ts'), 'utf8')).toBe(LOGIN);
  expect(at('npx nx run-many')).toMatch(/\[@acme\/auth:auth-module\] succeeded/);
  // The report shows it.
  expect(at('npx nx-worktree-ai report')).toMatch(/@acme\/auth:auth-module\s+succeeded\s/);
  expect(at('npx nx-worktree-ai report')).toContain('report: .nx-worktree-ai/report.html');
});
