/**
 * `npm run docs`: rewrites the generated option tables of README.md (tools/docs/options.ts).
 * `npm run docs -- --check`: exits 1 when README.md is out of date (what the unit test checks too).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { README, withOptionsBlock } from './options';

const current = readFileSync(README, 'utf8');
const next = withOptionsBlock(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md: the option tables are out of date: run `npm run docs`');
    process.exit(1);
  }
  console.log('README.md: option tables up to date');
} else if (next !== current) {
  writeFileSync(README, next);
  console.log('README.md: option tables rewritten');
} else {
  console.log('README.md: option tables already up to date');
}
