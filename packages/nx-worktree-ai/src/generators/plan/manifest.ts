import { fencedBlocks, isDispatchBlock, untaggedManifest } from './fences';
import { orderBatches, type OrderedBatch, type StreamOptions } from './manifest-order';
import { AGENT_SETTING_KEYS, ignoredKeys, manifestSchema, type ManifestBatch } from './manifest-schema';
import { isBatchName, PlanError, toBatchName, type Plan, type PlannedBatch } from './plan';
import { assignVerifyFiles } from './verify-files';
import { ONE_SHOT } from '../../utils/one-shot';

/** Does the text hold a ```json dispatch block (what cast-parallel looks for)? */
export function hasDispatchManifest(text: string): boolean {
  return fencedBlocks(text).some(isDispatchBlock);
}

/**
 * A cast-parallel / CAST Agent Dispatch Manifest as batches: one per agent. The manifest's order
 * becomes dependsOn (manifest-order.ts): one chain by default, cast-parallel's independent streams
 * with --streams/--split, and the batches a `depends_on` names instead of the one before.
 *
 * Names: the agent's `name` if it has one, else `<plan>-<batch id>-<subagent_type>` (with `-2`,
 * `-3`, ... when a batch has several agents of one type), where <plan> is plan_id or the plan
 * file's name and a batch without an id has its position. The same manifest always gives the same
 * names, so running the generator again updates the same files.
 *
 * What CAST tolerates is tolerated the way cast-exec does, with a warning line (plan.notes): a
 * batch without agents, an agent without a type or prompt. Keys that have no effect here get a
 * line each.
 */
export function parseManifestPlan(file: string, text: string, fallbackPlanName: string, order: StreamOptions = {}): Plan {
  const json = extractBlock(file, text);
  let data: unknown;
  try {
    data = JSON.parse(json.text);
  } catch (e) {
    throw new PlanError(file, [`the json dispatch block (line ${json.line}) is not valid JSON: ${(e as Error).message}`]);
  }
  const parsed = manifestSchema.safeParse(data, ONE_SHOT);
  if (!parsed.success) {
    throw new PlanError(
      file,
      parsed.error.issues.map((issue) => `json dispatch block (line ${json.line}): ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  const manifest = parsed.data;
  // cast-exec's and cast-parallel's own wording.
  if (manifest.batches.length === 0) throw new PlanError(file, [`json dispatch block (line ${json.line}): No batches found in dispatch manifest.`]);
  const planName = toBatchName(manifest.plan_id ?? fallbackPlanName) || 'plan';
  const problems: string[] = [];
  const notes = ignoredKeys('the manifest', 'manifest', manifest);
  const batches: PlannedBatch[] = [];
  const ordered = manifest.batches.map((mb, bi) => {
    const entry = toOrderedBatch(mb, bi, planName, notes, problems);
    batches.push(...entry.agents.map((a) => a.batch));
    return entry;
  });

  const { problems: orderProblems, info } = orderBatches(ordered, order);
  problems.push(...orderProblems);
  const seen = new Map<string, string>();
  for (const b of batches) {
    const other = seen.get(b.name);
    if (other) problems.push(`${b.origin}: the batch name "${b.name}" is also used by ${other}; give one of the agents a different "name"`);
    else seen.set(b.name, b.origin);
  }
  if (problems.length) throw new PlanError(file, problems);
  return { format: 'manifest', title: manifest.plan_id ?? null, batches, notes, info };
}

/** One manifest batch: its agents as planned batches (without dependsOn yet), skipped ones noted. */
function toOrderedBatch(mb: ManifestBatch, bi: number, planName: string, notes: string[], problems: string[]): OrderedBatch {
  const id = String(mb.id ?? bi + 1);
  const where = `batches[${bi}] (id ${mb.id === undefined ? `${id}: none given, its position` : JSON.stringify(mb.id)})`;
  notes.push(...ignoredKeys(where, 'batch', mb));
  // CAST §3.5: fan-out dispatches the agents at once, like parallel: true.
  const parallel = mb.parallel || mb.type === 'fan-out';
  if (mb.type === 'fan-out') {
    notes.push(`${where}: type "fan-out": its agents run in parallel; the Fan-out Summary CAST's orchestrator prepends to the next batch's prompts is not made (the next batch sees their changes in the workspace)`);
  } else if (mb.type !== undefined && mb.type !== 'sequential') {
    notes.push(`${where}: type ${JSON.stringify(mb.type)} is not a CAST batch type (sequential, fan-out): not used`);
  }
  if (mb.agents.length === 0) notes.push(`${where}: no agents defined, skipping (as cast-exec does)`);

  const usable = mb.agents
    .map((agent, ai) => ({ agent, where: `${where} agents[${ai}]${agent.subagent_type ? ` (${agent.subagent_type})` : ''}` }))
    .filter(({ agent, where: at }) => {
      if (!agent.subagent_type?.trim()) notes.push(`${at}: no subagent_type, skipping (as cast-exec does)`);
      else if (!agent.prompt?.trim()) notes.push(`${at}: empty prompt, skipping`);
      else return true;
      return false;
    });
  const typeCount = new Map<string, number>();
  for (const { agent } of usable) typeCount.set(agent.subagent_type!, (typeCount.get(agent.subagent_type!) ?? 0) + 1);
  const typeIndex = new Map<string, number>();

  const agents: OrderedBatch['agents'] = [];
  for (const { agent, where: at } of usable) {
    const type = agent.subagent_type!.trim();
    const n = (typeIndex.get(type) ?? 0) + 1;
    typeIndex.set(type, n);
    const suffix = (typeCount.get(type) ?? 0) > 1 ? `-${n}` : '';
    const name = agent.name ?? toBatchName(`${planName}-${id}-${type}${suffix}`);
    if (!isBatchName(name)) {
      problems.push(`${at}: "${name}" is not a valid batch name (letters, digits, ".", "_" and "-"); give the agent a "name"`);
      continue;
    }
    notes.push(...ignoredKeys(at, 'agent', agent));
    const prompt = agent.prompt!;
    const batch: PlannedBatch = {
      name,
      origin: at,
      placeholders: { name, id, type },
      description: mb.description ? `${mb.description} (${type})` : type,
      dependsOn: [],
      prompt: prompt.endsWith('\n') ? prompt : `${prompt}\n`,
      subagentType: type,
    };
    if (agent.owns_files) batch.ownsFiles = agent.owns_files;
    for (const key of AGENT_SETTING_KEYS) {
      if (agent[key] !== undefined) (batch as unknown as Record<string, unknown>)[key] = agent[key];
    }
    agents.push({ batch, where: at, dependsOn: agent.depends_on });
  }
  if (mb.verify_files) assignVerifyFiles(mb.verify_files, agents.map((a) => a.batch), parallel, where, notes);
  return { where, id, parallel, dependsOn: mb.depends_on, agents };
}

/** The JSON text of the (single) ```json dispatch block, and the line it starts on. */
function extractBlock(file: string, text: string): { text: string; line: number } {
  const all = fencedBlocks(text);
  const blocks = all.filter(isDispatchBlock);
  const open = blocks.find((b) => !b.closed);
  if (open) throw new PlanError(file, [`the json dispatch block opened on line ${open.line} is not closed`]);
  if (blocks.length === 0) {
    const untagged = untaggedManifest(text);
    throw new PlanError(file, [
      untagged
        ? `No json dispatch fenced block found: the \`\`\`json block on line ${untagged.line} holds a manifest; tag it \`\`\`json dispatch (the block cast-parallel and cast-exec read)`
        : 'No json dispatch fenced block found (the cast-parallel Agent Dispatch Manifest is a ```json dispatch block)',
    ]);
  }
  if (blocks.length > 1) throw new PlanError(file, [`${blocks.length} json dispatch blocks (lines ${blocks.map((b) => b.line).join(', ')}); a plan has one manifest`]);
  return blocks[0];
}
