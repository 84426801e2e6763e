import type { Tree } from '@nx/devkit';
import { planTreeEachTest } from '@testing/fixtures/plan-tree';
import { CAST_PARALLEL_README_EXAMPLE, markdownPlan } from '@testing/fixtures/plan';
import { SAMPLE_PROJECTS, SIX_BATCHES } from '@testing/fixtures/six-batches';
import { parseBatchFile } from '../../batch/parse';
import { analyzeBatches } from '../../plugin/batches';
import type { WorkspaceFiles } from '../../plugin/project-root';
import { planGenerator, planMarker, planOf } from './generator';

const treeFiles = (tree: Tree): WorkspaceFiles => ({ exists: (p) => tree.exists(p), read: (p) => (tree.exists(p) ? tree.read(p, 'utf-8') : null) });
const changed = (tree: Tree) => tree.listChanges().map((c) => `${c.type} ${c.path}`);

describe('plan generator', () => {
  const t = planTreeEachTest();

  describe('markdown plan', () => {
    const PLAN = markdownPlan('The sample workspace', SIX_BATCHES, 'Notes before the first section are not a batch.');

    it('writes one batch file per section, with its settings, dependsOn across projects and the prompt verbatim', async () => {
      t.tree.write('plan.md', PLAN);
      await planGenerator(t.tree, { file: 'plan.md' });

      for (const b of SIX_BATCHES) {
        const path = `${SAMPLE_PROJECTS[b.project].root}/ai/${b.name}.ai.md`;
        const text = t.tree.read(path, 'utf-8')!;
        expect(planOf(text)).toBe('plan.md');
        const spec = parseBatchFile(path, text, SAMPLE_PROJECTS[b.project].root);
        expect(spec.prompt).toBe(b.prompt);
        expect(spec.frontmatter).toMatchObject({ ...b.frontmatter, dependsOn: b.frontmatter.dependsOn ?? [] });
      }
      const analysis = analyzeBatches(
        SIX_BATCHES.map((b) => `${SAMPLE_PROJECTS[b.project].root}/ai/${b.name}.ai.md`),
        t.tree.root,
        treeFiles(t.tree),
      );
      expect(analysis.problems).toEqual(new Map());
      expect(t.tree.read('apps/api/ai/integration-tests.ai.md', 'utf-8')).toBe(
        [
          '---',
          planMarker('plan.md'),
          'description: "Integration tests of the api: routes behind the middleware chain"',
          'agent: claude',
          'outputs: [tests/**]',
          'dependsOn: [api-routes, middleware]',
          'timeout: 5m',
          'maxTurns: 10',
          '---',
          SIX_BATCHES[5].prompt.trimEnd(),
          '',
        ].join('\n'),
      );
    });

    it('running it again changes nothing; an edited plan updates its files and reports (not deletes) removed sections', async () => {
      t.tree.write('plan.md', PLAN);
      await planGenerator(t.tree, { file: 'plan.md' });
      const first = Object.fromEntries(changed(t.tree).map((c) => [c, t.tree.read(c.split(' ')[1], 'utf-8')]));

      await planGenerator(t.tree, { file: 'plan.md' });
      expect(Object.fromEntries(changed(t.tree).map((c) => [c, t.tree.read(c.split(' ')[1], 'utf-8')]))).toEqual(first);
      expect(t.infos.pop()).toContain('6 batch(es), 6 unchanged');

      const edited = markdownPlan(
        'The sample workspace',
        SIX_BATCHES.filter((b) => b.name !== 'dashboard-scaffold').map((b) => (b.name === 'middleware' ? { ...b, prompt: `${b.prompt}Also log each request.\n` } : b)),
      );
      t.tree.write('plan.md', edited);
      await planGenerator(t.tree, { file: 'plan.md' });
      expect(t.tree.read('apps/api/ai/middleware.ai.md', 'utf-8')).toContain('Also log each request.');
      expect(t.tree.exists('apps/dashboard/ai/dashboard-scaffold.ai.md')).toBe(true);
      expect(t.warnings.join('\n')).toContain(
        'apps/dashboard/ai/dashboard-scaffold.ai.md was written from plan.md but the plan no longer has it: kept (delete it, or run again with --deleteRemoved)',
      );

      await planGenerator(t.tree, { file: 'plan.md', deleteRemoved: true });
      expect(t.tree.exists('apps/dashboard/ai/dashboard-scaffold.ai.md')).toBe(false);
      expect(t.tree.exists('apps/api/ai/middleware.ai.md')).toBe(true);
    });

    it('keeps a file that was moved inside its project, and refuses to overwrite a batch it did not write', async () => {
      t.tree.write('plan.md', PLAN);
      await planGenerator(t.tree, { file: 'plan.md' });
      t.tree.rename('libs/auth/ai/auth-tests.ai.md', 'libs/auth/src/ai/auth-tests.ai.md');
      await planGenerator(t.tree, { file: 'plan.md' });
      expect(t.tree.exists('libs/auth/ai/auth-tests.ai.md')).toBe(false);
      expect(planOf(t.tree.read('libs/auth/src/ai/auth-tests.ai.md', 'utf-8')!)).toBe('plan.md');

      t.tree.write('apps/dashboard/ai/dashboard-scaffold.ai.md', '---\noutputs: [src/app/**]\n---\nMy own prompt.\n');
      await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow(
        /section "dashboard-scaffold: Scaffold the dashboard app: layout, routes and a stats card widget" \(line \d+\): project "dashboard" already has a batch "dashboard-scaffold" \(apps\/dashboard\/ai\/dashboard-scaffold\.ai\.md, not written from a plan\)/,
      );
      expect(t.tree.read('apps/dashboard/ai/dashboard-scaffold.ai.md', 'utf-8')).toBe('---\noutputs: [src/app/**]\n---\nMy own prompt.\n');
    });

    it('refuses outputs that independent batches would both write, explains, and writes nothing', async () => {
      t.tree.write(
        'plan.md',
        [
          '# Overlap',
          '',
          '## login: The login page',
          '- project: auth',
          '- outputs: src/**',
          '',
          'Write the login page.',
          '',
          '## logout',
          '- project: auth',
          '- outputs: `src/logout/**`',
          '',
          'Write the logout page.',
          '',
        ].join('\n'),
      );
      const error = await planGenerator(t.tree, { file: 'plan.md' }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).toContain('the batch files would not run; nothing was written');
      expect(error?.message).toContain(
        'section "login: The login page" (line 3) -> libs/auth/ai/login.ai.md: key "outputs": may write the same files as batch auth:logout (libs/auth/ai/logout.ai.md): "src/**" and "src/logout/**"; Nx may run both at the same time because neither depends on the other',
      );
      expect(error?.message).toContain('give each its own outputs');
      expect(changed(t.tree).filter((c) => c.includes('.ai.md'))).toEqual([]);

      // Ordered, they may overlap.
      t.tree.write('plan.md', t.tree.read('plan.md', 'utf-8')!.replace("- outputs: `src/logout/**`", "- outputs: `src/logout/**`\n- depends on: login"));
      await planGenerator(t.tree, { file: 'plan.md' });
      expect(parseBatchFile('libs/auth/ai/logout.ai.md', t.tree.read('libs/auth/ai/logout.ai.md', 'utf-8')!, 'libs/auth').frontmatter.dependsOn).toEqual(['login']);
    });

    it('settings: defaults from the options, spelling of keys, {name} in default outputs, fenced ## in prompts', async () => {
      t.tree.write(
        'docs/plan.md',
        [
          '## Build The Widget',
          '',
          '- Depends On: none',
          '- MAX_BUDGET_USD: $2.50',
          '- model: `sonnet`',
          '- apply: branch',
          '',
          'Build it:',
          '',
          '```md',
          '## not a section',
          '- outputs: nope',
          '```',
          '',
          '## polish',
          '',
          'Polish the widget.',
          '- a prompt list item: not a setting (the section has no settings list)',
        ].join('\n'),
      );
      await planGenerator(t.tree, { file: 'docs/plan.md', project: 'dashboard', outputs: 'src/{name}/**', model: 'opus' });
      const widget = parseBatchFile('apps/dashboard/ai/build-the-widget.ai.md', t.tree.read('apps/dashboard/ai/build-the-widget.ai.md', 'utf-8')!, 'apps/dashboard');
      expect(widget.frontmatter).toMatchObject({ outputs: ['src/build-the-widget/**'], maxBudgetUsd: 2.5, model: 'sonnet', apply: 'branch', dependsOn: [] });
      expect(widget.prompt).toBe('Build it:\n\n```md\n## not a section\n- outputs: nope\n```\n');
      const polish = parseBatchFile('apps/dashboard/ai/polish.ai.md', t.tree.read('apps/dashboard/ai/polish.ai.md', 'utf-8')!, 'apps/dashboard');
      expect(polish.frontmatter).toMatchObject({ outputs: ['src/polish/**'], model: 'opus' });
      expect(polish.prompt).toBe('Polish the widget.\n- a prompt list item: not a setting (the section has no settings list)\n');
    });

    it('settings: verify as a command line, verifyTimeout, attempts, samples and samplesAgents', async () => {
      t.tree.write(
        'plan.md',
        ['## cart', '- project: dashboard', '- outputs: src/cart.ts', '- verify: `npx vitest run --root {projectRoot} src/cart.spec.ts`', '- verify timeout: 5m', '- attempts: 2', '- samples: 2', '- samples agents: claude, codex', '', 'Build the cart.'].join('\n'),
      );
      await planGenerator(t.tree, { file: 'plan.md' });
      const cart = parseBatchFile('apps/dashboard/ai/cart.ai.md', t.tree.read('apps/dashboard/ai/cart.ai.md', 'utf-8')!, 'apps/dashboard');
      expect(cart.frontmatter).toMatchObject({
        verify: ['npx', 'vitest', 'run', '--root', '{projectRoot}', 'src/cart.spec.ts'],
        verifyTimeout: '5m',
        attempts: 2,
        samples: 2,
        samplesAgents: ['claude', 'codex'],
      });
      // A setting the batch file refuses is reported with the section, before anything is written.
      t.tree.write('plan.md', ['## cart', '- project: dashboard', '- outputs: src/cart.ts', '- samples: 3', '', 'Build the cart.'].join('\n'));
      await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow(/key "samples": 3 samples need "verify"/);
    });

    it('says what is wrong, with the section and line', async () => {
      t.tree.write(
        'plan.md',
        [
          '## a',
          '- project: auth',
          '- outptus: src/a/**',
          '',
          'Do a.',
          '## b',
          '- project: nope',
          '- outputs: src/b/**',
          '',
          'Do b.',
          '## c',
          '- project: auth',
          '- outputs: src/c/**',
          '- max turns: many',
          '## a',
          '- project: auth',
          '',
          'Again.',
        ].join('\n'),
      );
      const message = await planGenerator(t.tree, { file: 'plan.md' }).then(
        () => '',
        (e: Error) => e.message,
      );
      expect(message).toContain('plan.md: the plan has 4 problems');
      expect(message).toContain('section "a" (line 1), line 3: "- outptus: src/a/**" is not a setting; settings are project, outputs, dependsOn');
      expect(message).toContain('section "c" (line 11), line 14: maxTurns: got "many"; expected a whole number > 0');
      expect(message).toContain('section "c" (line 11): the prompt is empty');
      expect(message).toContain('section "a" (line 15): the batch name "a" is also used by section "a" (line 1)');

      t.tree.write('plan.md', '## b\n- project: nope\n- outputs: src/b/**\n\nDo b.\n## c\n- outputs: src/c/**\n\nDo c.\n');
      await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow(
        /section "b" \(line 1\): project "nope" does not exist[\s\S]*section "c" \(line 6\): no project: add "- project: <name>"/,
      );
      await expect(planGenerator(t.tree, { file: 'missing.md' })).rejects.toThrow('plan file "missing.md" not found');
      t.tree.write('empty.md', '# Just a title\n\nNo sections.\n');
      await expect(planGenerator(t.tree, { file: 'empty.md' })).rejects.toThrow('no batch sections');
    });
  });

  describe('cast-parallel Agent Dispatch Manifest', () => {
    it("turns the README's example into batches: one per agent, batch 2 after both agents of parallel batch 1", async () => {
      t.tree.write('plans/feature.md', `# My feature\n\nSome description.\n\n## Agent Dispatch Manifest\n\n${CAST_PARALLEL_README_EXAMPLE}`);
      await planGenerator(t.tree, { file: 'plans/feature.md', project: 'auth', outputs: 'src/{name}/**' });
      const read = (name: string) => parseBatchFile(`libs/auth/ai/${name}.ai.md`, t.tree.read(`libs/auth/ai/${name}.ai.md`, 'utf-8')!, 'libs/auth');

      const writer = read('my-feature-1-code-writer');
      const tests = read('my-feature-1-test-writer');
      const commit = read('my-feature-2-commit');
      expect(writer.frontmatter).toMatchObject({ description: 'Build the thing (code-writer)', outputs: ['src/my-feature-1-code-writer/**'], dependsOn: [] });
      expect(tests.frontmatter).toMatchObject({ description: 'Build the thing (test-writer)', outputs: ['src/my-feature-1-test-writer/**'], dependsOn: [] });
      expect(commit.frontmatter).toMatchObject({ description: 'Review and commit (commit)', dependsOn: ['my-feature-1-code-writer', 'my-feature-1-test-writer'] });
      expect(writer.prompt).toBe('...\n');
      expect(changed(t.tree).filter((c) => c.endsWith('.ai.md')).sort()).toEqual([
        'CREATE libs/auth/ai/my-feature-1-code-writer.ai.md',
        'CREATE libs/auth/ai/my-feature-1-test-writer.ai.md',
        'CREATE libs/auth/ai/my-feature-2-commit.ai.md',
      ]);
    });

    it('with one default output for every agent, explains that the parallel agents would overlap', async () => {
      t.tree.write('plan.md', CAST_PARALLEL_README_EXAMPLE);
      await expect(planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/**' })).rejects.toThrow(
        /batches\[0\] \(id 1\) agents\[0\] \(code-writer\) -> libs\/auth\/ai\/my-feature-1-code-writer\.ai\.md: key "outputs": may write the same files as batch auth:my-feature-1-test-writer[\s\S]*give each its own outputs, e\.g\. --outputs "src\/\{name\}\/\*\*"/,
      );
      await expect(planGenerator(t.tree, { file: 'plan.md', outputs: 'src/{name}/**' })).rejects.toThrow('no project: add "- project: <name>" to the section (a manifest agent: a "project" key, or owns_files inside one project), or pass --project');
    });

    it('sequential agents wait for each other; per-agent extension keys set name, project and outputs', async () => {
      const manifest = {
        plan_id: 'Ship It',
        batches: [
          {
            id: 'a',
            parallel: false,
            agents: [
              { subagent_type: 'code-writer', prompt: 'Write the API.', project: 'api', outputs: ['src/routes/**'], name: 'api-routes' },
              { subagent_type: 'code-writer', prompt: 'Write the UI.', project: 'dashboard', outputs: 'src/app/**' },
            ],
          },
          { id: 'b', parallel: true, agents: [{ subagent_type: 'test-writer', prompt: 'Test it all.', maxTurns: 12, project: 'api', outputs: ['tests/**'] }] },
        ],
      };
      t.tree.write('plan.md', `Intro\n\n~~~json dispatch\n${JSON.stringify(manifest, null, 2)}\n~~~\n`);
      await planGenerator(t.tree, { file: 'plan.md' });
      const ui = parseBatchFile('apps/dashboard/ai/ship-it-a-code-writer-2.ai.md', t.tree.read('apps/dashboard/ai/ship-it-a-code-writer-2.ai.md', 'utf-8')!, 'apps/dashboard');
      expect(ui.frontmatter).toMatchObject({ outputs: ['src/app/**'], dependsOn: ['api:api-routes'], description: 'code-writer' });
      const tests = parseBatchFile('apps/api/ai/ship-it-b-test-writer.ai.md', t.tree.read('apps/api/ai/ship-it-b-test-writer.ai.md', 'utf-8')!, 'apps/api');
      expect(tests.frontmatter).toMatchObject({ dependsOn: ['dashboard:ship-it-a-code-writer-2'], maxTurns: 12 });
      expect(t.tree.exists('apps/api/ai/api-routes.ai.md')).toBe(true);
    });

    it('per-agent verify, attempts and samples reach the batch file', async () => {
      const manifest = { batches: [{ id: 'a', agents: [{ subagent_type: 'code-writer', name: 'routes', prompt: 'Write the routes.', project: 'api', outputs: ['src/routes/**'], verify: ['npx', 'jest', '{projectRoot}'], attempts: 2, samplesAgents: ['claude', 'codex'] }] }] };
      t.tree.write('plan.md', `~~~json dispatch\n${JSON.stringify(manifest)}\n~~~\n`);
      await planGenerator(t.tree, { file: 'plan.md' });
      const routes = parseBatchFile('apps/api/ai/routes.ai.md', t.tree.read('apps/api/ai/routes.ai.md', 'utf-8')!, 'apps/api');
      expect(routes.frontmatter).toMatchObject({ verify: ['npx', 'jest', '{projectRoot}'], attempts: 2, samplesAgents: ['claude', 'codex'] });
    });

    it('reports a broken manifest with the block line and the JSON path', async () => {
      t.tree.write('plan.md', 'x\n```json dispatch\n{ "batches": [ { "id": 1, "agents": [ { "subagent_type": "a", "prompt": "p", "maxTurns": "many" } ] } ] }\n```\n');
      await expect(planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**' })).rejects.toThrow(
        /json dispatch block \(line 2\): batches\.0\.agents\.0\.maxTurns/,
      );
      t.tree.write('plan.md', '```json dispatch\n{ nope\n```\n');
      await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow(/the json dispatch block \(line 1\) is not valid JSON/);
      t.tree.write('plan.md', '```json dispatch\n{}\n');
      await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow('is not closed');
    });
  });
});
