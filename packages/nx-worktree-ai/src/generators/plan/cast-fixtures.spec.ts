import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planTreeEachTest } from '@testing/fixtures/plan-tree';
import { SAMPLE_PROJECTS } from '@testing/fixtures/six-batches';
import { parseBatchFile } from '../../batch/parse';
import { planGenerator } from './generator';
import type { PlanGeneratorOptions } from './schema';

/** The CAST conformance fixtures (__fixtures__/cast/README.md): every case imports to its expected graph. */
const DIR = join(__dirname, '__fixtures__', 'cast');

interface Case {
  name: string;
  options: Omit<PlanGeneratorOptions, 'file'>;
  batches?: Record<string, { project: string; outputs: string[]; dependsOn: string[] }>;
  warnings?: string[];
  info?: string[];
  error?: string;
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => ({ name: f.replace(/\.expected\.json$/, ''), ...(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { source: string; cases: Case[] }) }));

const rootOf = (project: string) => SAMPLE_PROJECTS[project].root;
/** Lines about agent definitions depend on the workspace, not the manifest: agent-definition tests cover them. */
const aboutDefinitions = (line: string) => line.includes(': subagent_type "');

describe('CAST conformance fixtures', () => {
  const t = planTreeEachTest();

  it('has a fixture for every source the issue names, each with its source noted', () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining(['spec-3.2', 'spec-3.8', 'planner-template', 'skill-plan', 'bats-cast-exec-no-agents', 'bats-cast-exec-verify-file', 'cast-parallel-readme']),
    );
    for (const f of fixtures) expect({ fixture: f.name, source: f.source.length > 20, plan: readFileSync(join(DIR, `${f.name}.md`), 'utf8').length > 0 }).toEqual({ fixture: f.name, source: true, plan: true });
  });

  for (const fixture of fixtures) {
    describe(fixture.name, () => {
      for (const c of fixture.cases) {
        it(c.name, async () => {
          const planPath = `plans/${fixture.name}.md`;
          t.tree.write(planPath, readFileSync(join(DIR, `${fixture.name}.md`), 'utf8'));
          const run = planGenerator(t.tree, { file: planPath, ...c.options });
          if (c.error) {
            await expect(run).rejects.toThrow(c.error);
            expect(t.tree.listChanges().filter((ch) => ch.path.endsWith('.ai.md'))).toEqual([]);
            return;
          }
          await run;
          const written = t.tree.listChanges().filter((ch) => ch.path.endsWith('.ai.md'));
          const graph = Object.fromEntries(
            written.map((ch) => {
              const project = Object.keys(SAMPLE_PROJECTS).find((p) => ch.path.startsWith(`${rootOf(p)}/`))!;
              const spec = parseBatchFile(ch.path, t.tree.read(ch.path, 'utf-8')!, rootOf(project));
              expect({ file: ch.path, context: spec.frontmatter.context }).toEqual({ file: ch.path, context: [`{workspaceRoot}/${planPath}`] });
              return [spec.name, { project, outputs: spec.frontmatter.outputs, dependsOn: spec.frontmatter.dependsOn }];
            }),
          );
          expect(graph).toEqual(c.batches);

          // Every warning is one the fixture expects (none silently added or lost).
          const own = t.warnings.filter((w) => !aboutDefinitions(w));
          for (const expected of c.warnings ?? []) expect({ expected, found: own.some((w) => w.includes(expected)) }).toEqual({ expected, found: true });
          for (const w of own) expect({ warning: w, expected: (c.warnings ?? []).some((e) => w.includes(e)) }).toEqual({ warning: w, expected: true });
          for (const expected of c.info ?? []) expect({ expected, found: t.infos.some((i) => i.includes(expected)) }).toEqual({ expected, found: true });
        });
      }
    });
  }
});
