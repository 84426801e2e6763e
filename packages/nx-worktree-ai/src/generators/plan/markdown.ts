import { splitList } from '../../utils/lists';
import { isBatchName, PlanError, toBatchName, type Plan, type PlannedBatch } from './plan';

/**
 * The markdown plan format:
 *
 *     # Auth feature                          <- optional title; text before the first "##" is notes
 *
 *     ## auth-module: Build the auth module   <- one "## <name>[: <description>]" section per batch
 *     - project: auth                         <- settings: a list right under the heading
 *     - outputs: `src/auth/**`
 *
 *     Build the auth module: ...              <- the rest of the section is the prompt, verbatim
 *
 *     ## auth-tests
 *     - project: auth
 *     - outputs: src/__tests__/**
 *     - depends on: auth-module
 *
 *     Write the tests ...
 *
 * Settings are the batch-file keys plus `project`, written `- key: value`; case, spaces, "-" and
 * "_" in keys do not matter (`Depends on` = `dependsOn`); lists are comma-separated (commas inside
 * `{a,b}` stay), values may be in backticks. The settings list is the first list under the heading
 * if its first item names a setting; it ends at the first line that is not a list item. A section
 * whose prompt starts with a list of its own separates it from the heading with a paragraph, or
 * has settings first. `##` inside fenced code blocks does not start a section.
 */
export function parseMarkdownPlan(file: string, text: string): Plan {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: string[] = [];
  let title: string | null = null;
  const sections: Array<{ heading: string; line: number; body: string[]; bodyStart: number }> = [];

  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1];
      else if (fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1]) fence = null;
    }
    const inFence = fence !== null || Boolean(fenceMatch);
    const h2 = !inFence ? /^ {0,3}##[ \t]+(.+?)[ \t#]*$/.exec(line) : null;
    if (h2) {
      sections.push({ heading: h2[1], line: i + 1, body: [], bodyStart: i + 2 });
      continue;
    }
    if (sections.length === 0) {
      const h1: RegExpExecArray | null = !inFence && title === null ? /^ {0,3}#[ \t]+(.+?)[ \t#]*$/.exec(line) : null;
      if (h1) title = h1[1];
      continue;
    }
    sections[sections.length - 1].body.push(line);
  }

  if (sections.length === 0) {
    throw new PlanError(file, [
      'no batch sections: a markdown plan has one "## <batch name>" section per batch (settings as a "- key: value" list under the heading, then the prompt); a cast-parallel manifest has a ```json dispatch block',
    ]);
  }

  const batches: PlannedBatch[] = [];
  for (const section of sections) {
    const where = `section "${section.heading}" (line ${section.line})`;
    const colon = section.heading.indexOf(':');
    const rawName = colon >= 0 ? section.heading.slice(0, colon) : section.heading;
    const description = colon >= 0 ? section.heading.slice(colon + 1).trim() : '';
    const name = toBatchName(stripTicks(rawName));
    if (!isBatchName(name)) {
      problems.push(`${where}: "${rawName.trim()}" does not make a batch name (letters, digits, ".", "_" and "-", starting with a letter or digit)`);
      continue;
    }
    const batch: PlannedBatch = { name, origin: where, placeholders: { name, id: name, type: '' }, dependsOn: [], prompt: '' };
    if (description) batch.description = description;

    const body = section.body;
    let i = 0;
    while (i < body.length && body[i].trim() === '') i++;
    const first = SETTING.exec(body[i] ?? '');
    if (first && settingKey(first[1])) {
      for (; i < body.length && LIST_ITEM.test(body[i]); i++) {
        const lineNo = section.bodyStart + i;
        const m = SETTING.exec(body[i]);
        const key = m ? settingKey(m[1]) : null;
        if (!m || !key) {
          problems.push(
            `${where}, line ${lineNo}: "${body[i].trim()}" is not a setting; settings are ${SETTING_NAMES.join(', ')} ("- key: value"). ` +
              'End the settings list with a blank line and a paragraph before a list that belongs to the prompt',
          );
          continue;
        }
        const problem = applySetting(batch, key, m[2].trim());
        if (problem) problems.push(`${where}, line ${lineNo}: ${problem}`);
      }
    }
    const prompt = body.slice(i).join('\n').replace(/^\s*\n/, '').replace(/\s+$/, '');
    if (!prompt) problems.push(`${where}: the prompt is empty (write it after the settings list)`);
    batch.prompt = `${prompt}\n`;
    batches.push(batch);
  }

  const seen = new Map<string, string>();
  for (const b of batches) {
    const other = seen.get(b.name);
    if (other) problems.push(`${b.origin}: the batch name "${b.name}" is also used by ${other}; batch names must be unique in a plan`);
    else seen.set(b.name, b.origin);
  }
  if (problems.length) throw new PlanError(file, problems);
  return { format: 'markdown', title, batches, notes: [], info: [] };
}

const LIST_ITEM = /^ {0,3}[-*+][ \t]+/;
const SETTING = /^ {0,3}[-*+][ \t]+`?([A-Za-z][A-Za-z _-]*?)`?[ \t]*:[ \t]*(.*)$/;

type SettingKey = 'project' | 'description' | 'outputs' | 'context' | 'dependsOn' | 'agent' | 'model' | 'apply' | 'timeout' | 'maxTurns' | 'maxBudgetUsd' | 'verify' | 'verifyTimeout' | 'attempts' | 'samples' | 'samplesAgents';

const KEYS: Record<string, SettingKey> = {
  project: 'project',
  description: 'description',
  outputs: 'outputs',
  output: 'outputs',
  context: 'context',
  dependson: 'dependsOn',
  after: 'dependsOn',
  agent: 'agent',
  model: 'model',
  apply: 'apply',
  timeout: 'timeout',
  maxturns: 'maxTurns',
  maxbudgetusd: 'maxBudgetUsd',
  maxbudget: 'maxBudgetUsd',
  verify: 'verify',
  verifytimeout: 'verifyTimeout',
  attempts: 'attempts',
  samples: 'samples',
  samplesagents: 'samplesAgents',
};

/** The settings a section may have, as documented. */
export const SETTING_NAMES: SettingKey[] = ['project', 'outputs', 'dependsOn', 'context', 'description', 'agent', 'model', 'apply', 'timeout', 'maxTurns', 'maxBudgetUsd', 'verify', 'verifyTimeout', 'attempts', 'samples', 'samplesAgents'];

function settingKey(raw: string): SettingKey | null {
  return KEYS[raw.toLowerCase().replace(/[\s_-]+/g, '')] ?? null;
}

function stripTicks(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('`') && t.endsWith('`') ? t.slice(1, -1).trim() : t;
}

function listValue(value: string): string[] {
  if (/^(none|-|—|\(none\))?$/i.test(value.trim())) return [];
  return splitList(value).map(stripTicks).filter(Boolean);
}

/** Sets one setting; returns a problem description, or null. */
function applySetting(batch: PlannedBatch, key: SettingKey, raw: string): string | null {
  const value = stripTicks(raw);
  switch (key) {
    case 'outputs':
    case 'context':
    case 'dependsOn':
      batch[key] = [...(batch[key] ?? []), ...listValue(raw)];
      return null;
    case 'maxTurns':
    case 'attempts':
    case 'samples': {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) return `${key}: got "${value}"; expected a whole number > 0`;
      batch[key] = n;
      return null;
    }
    case 'samplesAgents':
      batch.samplesAgents = listValue(raw);
      return null;
    case 'verify':
      // A command as you would type it (`npx vitest run {projectRoot}`), split at spaces: no shell, no quoting.
      batch.verify = value.split(/\s+/).filter(Boolean);
      return batch.verify.length ? null : 'verify: no value';
    case 'maxBudgetUsd': {
      const n = Number(value.replace(/^\$/, ''));
      if (!Number.isFinite(n) || n <= 0) return `maxBudgetUsd: got "${value}"; expected an amount in US dollars > 0, e.g. 3 or $2.50`;
      batch.maxBudgetUsd = n;
      return null;
    }
    default:
      if (!value) return `${key}: no value`;
      (batch as unknown as Record<string, string>)[key] = value;
      return null;
  }
}
