import { z } from 'zod';
import { AGENT_NAMES, APPLY_MODES } from '../../batch/spec';
import { isBatchName, PlanError, toBatchName, type Plan, type PlannedBatch } from './plan';

/** The opening line of a cast-parallel Agent Dispatch Manifest block. */
const OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*json[ \t]+dispatch[ \t]*$/;

/** Does the text hold a ```json dispatch block (what cast-parallel looks for)? */
export function hasDispatchManifest(text: string): boolean {
  return text.split(/\r?\n/).some((line) => OPEN.test(line));
}

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * One agent of a batch. `subagent_type` and `prompt` are the manifest's own keys; the others are
 * optional nx-worktree-ai additions (cast-parallel ignores keys it does not know): they say what
 * the manifest cannot (which project, which files) per agent.
 */
const agentSchema = z
  .object({
    subagent_type: z.string().min(1),
    prompt: z.string().refine((p) => p.trim().length > 0, 'a non-empty prompt'),
    name: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
    outputs: stringList.optional(),
    context: stringList.optional(),
    agent: z.enum(AGENT_NAMES).optional(),
    model: z.string().min(1).optional(),
    apply: z.enum(APPLY_MODES).optional(),
    timeout: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().optional(),
    maxBudgetUsd: z.number().positive().optional(),
    verify: z.array(z.string().min(1)).min(1).optional(),
    verifyTimeout: z.string().min(1).optional(),
    attempts: z.number().int().positive().optional(),
    samples: z.number().int().positive().optional(),
    samplesAgents: z.array(z.enum(AGENT_NAMES)).min(1).optional(),
  })
  .passthrough();

const manifestSchema = z
  .object({
    plan_id: z.string().min(1).optional(),
    batches: z
      .array(
        z
          .object({
            id: z.union([z.number(), z.string().min(1)]),
            description: z.string().optional(),
            parallel: z.boolean().default(false),
            agents: z.array(agentSchema).min(1),
          })
          .passthrough(),
      )
      .min(1),
  })
  .passthrough();

/**
 * A cast-parallel Agent Dispatch Manifest as batches. Each agent becomes one batch. The manifest's
 * order becomes dependsOn: every agent of batch N+1 depends on batch N (on all its agents when N
 * is parallel, on its last agent when N runs its agents one after another, since those already
 * depend on each other in order); agents of a parallel batch are independent.
 *
 * Names: the agent's `name` if it has one, else `<plan>-<batch id>-<subagent_type>` (with `-2`,
 * `-3`, ... when a batch has several agents of one type), where <plan> is plan_id or the plan
 * file's name. The same manifest always gives the same names, so running the generator again
 * updates the same files.
 */
export function parseManifestPlan(file: string, text: string, fallbackPlanName: string): Plan {
  const json = extractBlock(file, text);
  let data: unknown;
  try {
    data = JSON.parse(json.text);
  } catch (e) {
    throw new PlanError(file, [`the json dispatch block (line ${json.line}) is not valid JSON: ${(e as Error).message}`]);
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    throw new PlanError(
      file,
      parsed.error.issues.map((issue) => `json dispatch block (line ${json.line}): ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  const manifest = parsed.data;
  const planName = toBatchName(manifest.plan_id ?? fallbackPlanName) || 'plan';
  const problems: string[] = [];
  const batches: PlannedBatch[] = [];
  let previous: PlannedBatch[] = [];

  manifest.batches.forEach((mb, bi) => {
    const typeCount = new Map<string, number>();
    for (const a of mb.agents) typeCount.set(a.subagent_type, (typeCount.get(a.subagent_type) ?? 0) + 1);
    const typeIndex = new Map<string, number>();
    const current: PlannedBatch[] = [];
    mb.agents.forEach((agent, ai) => {
      const where = `batches[${bi}] (id ${JSON.stringify(mb.id)}) agents[${ai}] (${agent.subagent_type})`;
      const n = (typeIndex.get(agent.subagent_type) ?? 0) + 1;
      typeIndex.set(agent.subagent_type, n);
      const suffix = (typeCount.get(agent.subagent_type) ?? 0) > 1 ? `-${n}` : '';
      const name = agent.name ?? toBatchName(`${planName}-${mb.id}-${agent.subagent_type}${suffix}`);
      if (!isBatchName(name)) {
        problems.push(`${where}: "${name}" is not a valid batch name (letters, digits, ".", "_" and "-"); give the agent a "name"`);
        return;
      }
      // Within a sequential batch each agent waits for the one before it.
      const waitsFor = mb.parallel || current.length === 0 ? previous : [current[current.length - 1]];
      const description = mb.description ? `${mb.description} (${agent.subagent_type})` : agent.subagent_type;
      const batch: PlannedBatch = {
        name,
        origin: where,
        placeholders: { name, id: String(mb.id), type: agent.subagent_type },
        description,
        dependsOn: waitsFor.map((b) => b.name),
        prompt: agent.prompt.endsWith('\n') ? agent.prompt : `${agent.prompt}\n`,
      };
      for (const key of ['project', 'outputs', 'context', 'agent', 'model', 'apply', 'timeout', 'maxTurns', 'maxBudgetUsd', 'verify', 'verifyTimeout', 'attempts', 'samples', 'samplesAgents'] as const) {
        if (agent[key] !== undefined) (batch as unknown as Record<string, unknown>)[key] = agent[key];
      }
      current.push(batch);
      batches.push(batch);
    });
    // The next batch waits for all of a parallel batch, or for the last agent of a sequential one.
    if (current.length) previous = mb.parallel ? current : [current[current.length - 1]];
  });

  const seen = new Map<string, string>();
  for (const b of batches) {
    const other = seen.get(b.name);
    if (other) problems.push(`${b.origin}: the batch name "${b.name}" is also used by ${other}; give one of the agents a different "name"`);
    else seen.set(b.name, b.origin);
  }
  if (problems.length) throw new PlanError(file, problems);
  return { format: 'manifest', title: manifest.plan_id ?? null, batches };
}

/** The JSON text of the (single) ```json dispatch block, and the line it starts on. */
function extractBlock(file: string, text: string): { text: string; line: number } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const blocks: Array<{ text: string; line: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const t = lines[j].trim();
      if (t.length >= fence.length && t[0] === fence[0] && /^(`+|~+)$/.test(t)) break;
      body.push(lines[j]);
    }
    if (j === lines.length) throw new PlanError(file, [`the json dispatch block opened on line ${i + 1} is not closed`]);
    blocks.push({ text: body.join('\n'), line: i + 1 });
    i = j;
  }
  if (blocks.length === 0) throw new PlanError(file, ['no ```json dispatch block (the cast-parallel Agent Dispatch Manifest)']);
  if (blocks.length > 1) throw new PlanError(file, [`${blocks.length} json dispatch blocks (lines ${blocks.map((b) => b.line).join(', ')}); a plan has one manifest`]);
  return blocks[0];
}
