import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planTreeEachTest } from '@testing/fixtures/plan-tree';
import { parseBatchFile } from '../../batch/parse';
import { planGenerator } from './generator';

/** What CAST users rely on beyond the fixtures: tolerance, sparse dependencies, owned files, agent definitions. */
describe('plan generator: CAST manifests', () => {
  const t = planTreeEachTest();

  const manifest = (data: unknown, prose = '# Plan\n\nSome prose.\n\n## Agent Dispatch Manifest\n\n') => `${prose}\`\`\`json dispatch\n${JSON.stringify(data, null, 2)}\n\`\`\`\n`;
  const frontmatter = (path: string) => parseBatchFile(path, t.tree.read(path, 'utf-8')!, path.split('/ai/')[0]).frontmatter;
  const written = () => t.tree.listChanges().filter((c) => c.path.endsWith('.ai.md')).map((c) => c.path).sort();

  it('accepts what CAST accepts: numeric plan_id and ids, a batch without id (its position), skips agents without type or prompt, naming them', async () => {
    t.tree.write(
      'plan.md',
      manifest({
        plan_id: 7,
        batches: [
          { id: 1, agents: [{ subagent_type: 'code-writer', prompt: 'Write it.' }, { prompt: 'No type.' }, { subagent_type: 'reviewer', prompt: '  ' }] },
          { agents: [] },
          { description: 'Tests', agents: [{ subagent_type: 'test-writer', prompt: 'Test it.' }] },
        ],
      }),
    );
    await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**' });
    expect(written()).toEqual(['libs/auth/ai/7-1-code-writer.ai.md', 'libs/auth/ai/7-3-test-writer.ai.md']);
    // The empty batch 2 passes on what it waited for: batch 3 still follows batch 1.
    expect(frontmatter('libs/auth/ai/7-3-test-writer.ai.md')).toMatchObject({ dependsOn: ['7-1-code-writer'], description: 'Tests (test-writer)' });
    expect(t.warnings).toEqual([
      'nx-worktree-ai:plan: plan.md: batches[0] (id 1) agents[1]: no subagent_type, skipping (as cast-exec does)',
      'nx-worktree-ai:plan: plan.md: batches[0] (id 1) agents[2] (reviewer): empty prompt, skipping',
      'nx-worktree-ai:plan: plan.md: batches[1] (id 2: none given, its position): no agents defined, skipping (as cast-exec does)',
      expect.stringContaining('subagent_type "code-writer" (1 batch(es)): agent definition .claude/agents/code-writer.md not found'),
      expect.stringContaining('subagent_type "test-writer" (1 batch(es)): agent definition .claude/agents/test-writer.md not found'),
    ]);
  });

  it('reports each key it does not use, at each level, with its value', async () => {
    t.tree.write(
      'plan.md',
      manifest({
        version: 2,
        batches: [{ id: 1, type: 'round-robin', agents: [{ subagent_type: 'main', prompt: 'Do it.', commit_repos: ['../other'], temperature: 0 }] }],
      }),
    );
    await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/**' });
    const own = t.warnings.map((w) => w.replace('nx-worktree-ai:plan: plan.md: ', ''));
    expect(own).toEqual([
      'the manifest: key "version" is not used: 2',
      'batches[0] (id 1): type "round-robin" is not a CAST batch type (sequential, fan-out): not used',
      'batches[0] (id 1) agents[0] (main): key "commit_repos" is not used (each batch here is applied to the workspace it came from; commits to other repositories are not made): ["../other"]',
      'batches[0] (id 1) agents[0] (main): key "temperature" is not used: 0',
    ]);
    expect(t.infos).toContain(`nx-worktree-ai:plan: plan.md: subagent_type "main" (1 batch(es)): CAST's orchestrator does this work itself; here it is a plain claude session`);
  });

  it('depends_on on a batch or an agent replaces the chain; a wrong id is named', async () => {
    const batches = [
      { id: 'a', parallel: true, agents: [{ subagent_type: 'x', prompt: 'A1.' }, { subagent_type: 'y', prompt: 'A2.' }] },
      { id: 'b', depends_on: [], agents: [{ subagent_type: 'x', prompt: 'B1.' }, { subagent_type: 'y', prompt: 'B2.', depends_on: 'a' }] },
      { id: 'c', depends_on: ['b'], agents: [{ subagent_type: 'x', prompt: 'C.' }] },
    ];
    t.tree.write('plan.md', manifest({ plan_id: 'p', batches }));
    await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**' });
    const deps = Object.fromEntries(written().map((f) => [f.replace(/^.*\/|\.ai\.md$/g, ''), frontmatter(f).dependsOn]));
    expect(deps).toEqual({ 'p-a-x': [], 'p-a-y': [], 'p-b-x': [], 'p-b-y': ['p-b-x', 'p-a-x', 'p-a-y'], 'p-c-x': ['p-b-y'] });

    // Streams cut only the manifest's order: a declared depends_on holds across them.
    await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**', streams: 3 });
    expect(frontmatter('libs/auth/ai/p-c-x.ai.md').dependsOn).toEqual(['p-b-y']);
    expect(frontmatter('libs/auth/ai/p-b-y.ai.md').dependsOn).toEqual(['p-b-x', 'p-a-x', 'p-a-y']);

    t.tree.write('plan.md', manifest({ plan_id: 'p', batches: [...batches, { id: 'a', depends_on: [9, 'd'], agents: [{ subagent_type: 'z', prompt: 'D.' }] }] }));
    const message = await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**' }).then(() => '', (e: Error) => e.message);
    expect(message).toContain('batches[3] (id "a"): depends_on 9: no batch has this id (ids: a, b, c)');
    expect(message).toContain('batches[1] (id "b") agents[1] (y): depends_on a: 2 batches have this id; give them different ids');
  });

  it('owns_files: absolute paths inside the workspace, glob characters matched literally, added to outputs; outside is refused', async () => {
    const agent = { subagent_type: 'code-writer', prompt: 'Write.', owns_files: [`${t.tree.root}/libs/auth/src/[id].ts`, 'libs/auth/src/a b.ts'], outputs: ['src/gen/**'] };
    t.tree.write('plan.md', manifest({ plan_id: 'p', batches: [{ id: 1, agents: [agent] }] }));
    await planGenerator(t.tree, { file: 'plan.md' });
    expect(frontmatter('libs/auth/ai/p-1-code-writer.ai.md').outputs).toEqual(['src/gen/**', 'src/\\[id\\].ts', 'src/a b.ts']);

    t.tree.write('plan.md', manifest({ plan_id: 'p', batches: [{ id: 1, agents: [{ ...agent, owns_files: ['~/notes.md', '../x.ts'] }] }] }));
    const message = await planGenerator(t.tree, { file: 'plan.md', project: 'auth' }).then(() => '', (e: Error) => e.message);
    expect(message).toContain('owns_files "~/notes.md" is outside the workspace');
    expect(message).toContain('owns_files "../x.ts" is outside the workspace');
  });

  it('verify_files: the agent owning a file checks it (else the last of a sequential batch) with a node one-liner; it fails naming a missing or empty file', async () => {
    const writer = { subagent_type: 'code-writer', name: 'writer', prompt: 'Write.', owns_files: ['libs/auth/src/a.ts'] };
    const tester = { subagent_type: 'test-writer', name: 'tester', prompt: 'Test.', owns_files: ['libs/auth/src/a.spec.ts'] };
    t.tree.write('plan.md', manifest({ plan_id: 'p', batches: [{ id: 1, agents: [writer, tester], verify_files: ['libs/auth/src/a.ts', './libs/auth/src/a.spec.ts', 'libs/auth/README.md'] }] }));
    await planGenerator(t.tree, { file: 'plan.md' });
    const writerVerify = frontmatter('libs/auth/ai/writer.ai.md').verify as string[];
    const testerVerify = frontmatter('libs/auth/ai/tester.ai.md').verify as string[];
    expect(writerVerify.slice(-2)).toEqual(['--', 'libs/auth/src/a.ts']);
    expect(testerVerify.slice(-3)).toEqual(['--', 'libs/auth/src/a.spec.ts', 'libs/auth/README.md']);
    // The command itself, run as verify runs it (no shell), in a folder holding one good and one empty file.
    const dir = mkdtempSync(join(tmpdir(), 'nxwa-verify-files-'));
    try {
      mkdirSync(join(dir, 'libs/auth/src'), { recursive: true });
      writeFileSync(join(dir, 'libs/auth/src/a.spec.ts'), 'test\n');
      writeFileSync(join(dir, 'libs/auth/README.md'), '');
      const [bin, ...args] = testerVerify;
      const run = spawnSync(bin === 'node' ? process.execPath : bin, args, { cwd: dir, encoding: 'utf8' });
      expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 1, stderr: 'verify_files: missing or empty: libs/auth/README.md' });
      writeFileSync(join(dir, 'libs/auth/README.md'), 'readme\n');
      expect(spawnSync(process.execPath, args, { cwd: dir }).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('subagent_type runs claude --agent <type> when .claude/agents/<type>.md defines it; otherwise one line says why not', async () => {
    t.tree.write('.claude/agents/code-writer.md', '---\nname: code-writer\ndescription: Writes code\n---\nYou write code.\n');
    t.tree.write('.claude/agents/reviewer.md', '---\nname: code-reviewer\n---\nYou review.\n');
    const agents = [
      { subagent_type: 'code-writer', prompt: 'One.' },
      { subagent_type: 'code-writer', prompt: 'Two.', agent: 'codex' },
      { subagent_type: 'reviewer', prompt: 'Three.' },
      { subagent_type: 'test-writer', prompt: 'Four.' },
    ];
    t.tree.write('plan.md', manifest({ plan_id: 'p', batches: [{ id: 1, parallel: true, agents }] }));
    await planGenerator(t.tree, { file: 'plan.md', project: 'auth', outputs: 'src/{name}/**' });
    expect(frontmatter('libs/auth/ai/p-1-code-writer-1.ai.md').claude).toEqual({ agent: 'code-writer' });
    expect(t.tree.read('libs/auth/ai/p-1-code-writer-1.ai.md', 'utf-8')).toContain('claude:\n  agent: code-writer\n');
    for (const other of ['p-1-code-writer-2', 'p-1-reviewer', 'p-1-test-writer']) expect(frontmatter(`libs/auth/ai/${other}.ai.md`).claude).toBeUndefined();
    expect(t.infos).toContain('nx-worktree-ai:plan: plan.md: subagent_type "code-writer" (2 batch(es)): agent definition .claude/agents/code-writer.md found: claude runs with --agent code-writer');
    expect(t.warnings).toEqual([
      'nx-worktree-ai:plan: plan.md: subagent_type "code-writer": not used by 1 batch(es) whose agent is not claude (only claude has --agent)',
      'nx-worktree-ai:plan: plan.md: subagent_type "reviewer" (1 batch(es)): .claude/agents/reviewer.md defines the agent "code-reviewer", not "reviewer" (claude finds agents by that name): they run as plain claude sessions',
      'nx-worktree-ai:plan: plan.md: subagent_type "test-writer" (1 batch(es)): agent definition .claude/agents/test-writer.md not found in the workspace: they run as plain claude sessions (add it and run the generator again to use it)',
    ]);
  });

  it('a ```json block holding a manifest is refused with the fix, unless the plan is read as markdown; --streams needs a manifest', async () => {
    const json = JSON.stringify({ batches: [{ id: 1, agents: [{ subagent_type: 'x', prompt: 'p' }] }] });
    t.tree.write('plan.md', `## Agent Dispatch Manifest\n- project: auth\n- outputs: src/**\n\n\`\`\`json\n${json}\n\`\`\`\n`);
    await expect(planGenerator(t.tree, { file: 'plan.md' })).rejects.toThrow(
      'plan.md: No json dispatch fenced block found: the ```json block on line 5 holds a manifest; tag it ```json dispatch',
    );
    await planGenerator(t.tree, { file: 'plan.md', format: 'markdown' });
    expect(written()).toEqual(['libs/auth/ai/agent-dispatch-manifest.ai.md']);
    await expect(planGenerator(t.tree, { file: 'plan.md', format: 'markdown', streams: 2 })).rejects.toThrow('--streams and --split apply to an Agent Dispatch Manifest');
    await expect(planGenerator(t.tree, { file: 'plan.md', format: 'markdown', split: 1, streams: 2 })).rejects.toThrow('--streams and --split apply');
  });
});
