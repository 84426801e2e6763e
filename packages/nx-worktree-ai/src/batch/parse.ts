import { parseDocument } from 'yaml';
import { BatchFileError } from './error';
import type { z } from 'zod';
import { BATCH_FILE_SUFFIX, batchNameFromFile, batchNameProblem, relativePathProblem } from './names';
export { BatchFileError } from './error';
import { batchFrontmatterSchema, type BatchSpec } from './spec';
import { ONE_SHOT } from '../utils/one-shot';

const FRONTMATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** Splits `---\n<yaml>\n---\n<prompt>`; the prompt is kept verbatim. */
export function splitFrontmatter(file: string, text: string): { yaml: string; prompt: string } {
  const match = FRONTMATTER.exec(text.replace(/^\uFEFF/, ''));
  if (!match) {
    throw new BatchFileError(file, [
      'no YAML frontmatter: the file must start with a line "---", the settings (at least "outputs"), a line "---", then the prompt',
    ]);
  }
  return { yaml: match[1], prompt: text.replace(/^\uFEFF/, '').slice(match[0].length) };
}

/** Parses and validates one `<name>.ai.md` file. `file` is its path from the workspace root. */
export function parseBatchFile(file: string, text: string, projectRoot: string): BatchSpec {
  if (!file.endsWith(BATCH_FILE_SUFFIX)) throw new BatchFileError(file, [`a batch file name must end with ${BATCH_FILE_SUFFIX}`]);
  const name = batchNameFromFile(file);
  const nameProblem = batchNameProblem(name);
  if (nameProblem) {
    throw new BatchFileError(file, [
      `batch name ${JSON.stringify(name)} (from the file name) ${nameProblem}; a batch name starts with a letter or digit and uses only letters, digits, ".", "_" and "-"`,
    ]);
  }
  const pathProblem = relativePathProblem(file);
  if (pathProblem) throw new BatchFileError(JSON.stringify(file), [`the path of the batch file ${pathProblem}`]);
  const { yaml, prompt } = splitFrontmatter(file, text);
  const doc = parseDocument(yaml, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new BatchFileError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = batchFrontmatterSchema.safeParse(data, ONE_SHOT);
  if (!parsed.success) throw new BatchFileError(file, describeIssues(parsed.error.issues, data));
  if (!prompt.trim()) throw new BatchFileError(file, ['the prompt (the text after the frontmatter) is empty']);
  if (parsed.data.agent === 'command' && !parsed.data.command) {
    throw new BatchFileError(file, ['key "command": required when agent is "command" (an argv array, e.g. [node, script.js, "{promptFile}"])']);
  }
  if ((parsed.data.attempts ?? 1) > 1 && !parsed.data.verify) {
    throw new BatchFileError(file, [`key "attempts": ${parsed.data.attempts} needs "verify" (a check such as [npx, vitest, run]); without one no run can fail, so nothing would be retried`]);
  }
  if (parsed.data.verifyTimeout !== undefined && !parsed.data.verify) {
    throw new BatchFileError(file, ['key "verifyTimeout": needs "verify" (the check it limits); add verify or remove verifyTimeout']);
  }
  const samples = parsed.data.samples ?? parsed.data.samplesAgents?.length ?? 1;
  if (samples > 1 && !parsed.data.verify) {
    throw new BatchFileError(file, [`key "samples": ${samples} samples need "verify" (a check such as [npx, vitest, run]): without one there is nothing to choose a sample by`]);
  }
  return { name, file, projectRoot, frontmatter: parsed.data, prompt };
}

/** One line per zod issue: the key, the value found, and what is allowed. */
export function describeIssues(issues: z.core.$ZodIssue[], data: unknown): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `unknown key "${key}"; allowed keys: ${Object.keys(batchFrontmatterSchema.shape).join(', ')}`);
    }
    const key = issue.path.length ? issue.path.map(String).join('.') : '(frontmatter)';
    const value = valueAt(data, issue.path as PropertyKey[]);
    const found = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
    return [`key "${key}": ${found}; expected ${expectation(issue)}`];
  });
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
    case 'invalid_type':
      return issue.expected === 'array' ? 'a list, e.g. [src/auth/**]' : `a ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'array' ? `a list with at least ${issue.minimum} item(s)` : `a value >= ${issue.minimum}`;
    default:
      return issue.message;
  }
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
