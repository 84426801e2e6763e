/**
 * examples/basic stays a working example: its files in a hand-built Nx workspace (the packed
 * tarball installed), its nx.json registering the plugin, the plan generator on its plan.md, and a
 * dry run of every batch (no model request: the scripted server's log stays empty).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { claudeTestEnv, startAnthropicServer, type AnthropicServer } from '../testing/scripted-model/anthropic';
import { createWorkspace, REPO_ROOT, runNx, runNxSync, stripAnsi, type Workspace } from '../testing/workspace';

jest.setTimeout(10 * 60_000);

const EXAMPLE = join(REPO_ROOT, 'examples', 'basic');
const BATCHES = ['greeting:greeting-i18n', 'cli:cli-options', 'cli:cli-tests'];
const PLANNED = ['greeting:greeting-docs', 'cli:cli-docs'];

let ws: Workspace;
let server: AnthropicServer;

function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full).split('\\').join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

beforeAll(async () => {
  server = await startAnthropicServer({ rules: [] });
  // The example's own package.json, nx.json and .gitignore replace the defaults; node_modules comes from the template.
  ws = createWorkspace({ projects: {}, files: filesOf(EXAMPLE), init: 'none', prefix: 'nxwa-e2e-example-' });
}, 600_000);

afterAll(async () => {
  await server?.close();
  if (ws && !process.env.NX_WORKTREE_AI_E2E_KEEP) ws.remove();
});

test('examples/basic: projects and targets, the plan generator, a dry run of all five batches', async () => {
  const projects = runNxSync(ws, ['show', 'projects', '--json']);
  // the root package.json is no project for Nx (no workspaces, no `nx` key), so not for the plugin either
  expect(JSON.parse(projects.stdout).sort()).toEqual(['cli', 'greeting']);
  const cli = JSON.parse(runNxSync(ws, ['show', 'project', 'cli', '--json']).stdout);
  expect(Object.keys(cli.targets).sort()).toEqual(['ai-generate', 'ai-generate--cli-options', 'ai-generate--cli-tests']);

  const plan = runNxSync(ws, ['g', 'nx-worktree-ai:plan', 'plan.md', '--no-interactive']);
  if (plan.code !== 0) throw new Error(plan.output);
  expect(stripAnsi(plan.output)).toContain('CREATE libs/greeting/ai/greeting-docs.ai.md');
  expect(stripAnsi(plan.output)).toContain('CREATE apps/cli/ai/cli-docs.ai.md');

  const configDir = join(ws.base, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  const res = await runNx(ws, ['run-many', '-t', 'ai-generate', '--dry-run', '--skip-nx-cache', '--output-style=static'], { env: claudeTestEnv(server.url, configDir) });
  const text = stripAnsi(res.output);
  if (res.code !== 0) throw new Error(text);
  expect(server.requests).toEqual([]);
  for (const id of [...BATCHES, ...PLANNED]) {
    expect({ id, planned: text.includes(`[${id}] dry run done: a run would start the agent`) }).toEqual({ id, planned: true });
  }
  // nx.json targetDefaults reach the executor: every command carries the $2 budget.
  expect(text.split('\n').filter((l) => /\]\s+command\s/.test(l) && l.includes('--max-budget-usd 2'))).toHaveLength(5);
});
