import { readFileSync } from 'node:fs';
import { batchFrontmatterSchema } from '../../packages/nx-worktree-ai/src/batch/spec';
import { SETTING_NAMES } from '../../packages/nx-worktree-ai/src/generators/plan/markdown';
import { BEGIN, END, manifests, README, renderOptionsBlock } from './options';

const readme = readFileSync(README, 'utf8');

describe('README.md cannot drift from the options', () => {
  it('holds the option tables rendered from the zod schemas (run `npm run docs` when this fails)', () => {
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect({ markers: start >= 0 && end > start }).toEqual({ markers: true });
    const current = readme.slice(start, end + END.length);
    if (current !== renderOptionsBlock()) throw new Error('README.md: the generated option tables are out of date: run `npm run docs`');
  });

  it('documents every executor and generator of executors.json and generators.json', () => {
    const names = manifests().map((m) => `\`nx-worktree-ai:${m.name}\``);
    expect(names).toEqual(expect.arrayContaining(['`nx-worktree-ai:generate`', '`nx-worktree-ai:init`', '`nx-worktree-ai:batch`', '`nx-worktree-ai:plan`']));
    for (const name of names) expect({ name, documented: readme.includes(`#### Executor ${name}`) || readme.includes(`#### Generator ${name}`) }).toEqual({ name, documented: true });
  });

  it('documents every key of the batch file and every setting of a markdown plan', () => {
    const batchSection = readme.slice(readme.indexOf('## The batch file'), readme.indexOf('## Plans'));
    for (const key of Object.keys(batchFrontmatterSchema.shape)) expect({ key, documented: batchSection.includes(`\`${key}\``) }).toEqual({ key, documented: true });
    const planSection = readme.slice(readme.indexOf('## Plans'), readme.indexOf('## Targets'));
    for (const key of SETTING_NAMES) expect({ key, documented: planSection.includes(`\`${key}\``) }).toEqual({ key, documented: true });
  });
});
