import type { PlannedBatch } from './plan';

/** One manifest batch with the agents that became batch files (skipped agents are not here). */
export interface OrderedBatch {
  /** Where it is, for messages: `batches[2] (id 3)`. */
  where: string;
  id: string;
  parallel: boolean;
  /** `depends_on` of the manifest batch: ids; undefined = follow the manifest's order. */
  dependsOn?: string[];
  agents: Array<{ batch: PlannedBatch; where: string; dependsOn?: string[] }>;
}

/** How the manifest's order becomes dependencies: one chain (the default), or cast-parallel's streams. */
export interface StreamOptions {
  /** Independent chains of consecutive batches, as equal in length as the manifest allows. */
  streams?: number;
  /** Two chains: batches 1..split and split+1..end (cast-parallel's --split). */
  split?: number;
}

/**
 * Which stream each manifest batch is in (by position). cast-parallel cuts its two streams after
 * batch N (--split N, default half of the batches, rounded down); --streams generalizes the same
 * cut to more streams.
 */
export function streamsOf(count: number, options: StreamOptions): { stream: number[]; problem: string | null } {
  const one = { stream: Array.from({ length: count }, () => 0), problem: null };
  if (options.split !== undefined && options.streams !== undefined) return { ...one, problem: '--split and --streams: give one of them (--split K is --streams 2 cut after batch K)' };
  if (options.split !== undefined) {
    if (options.split < 1 || options.split >= count) {
      return { ...one, problem: `--split ${options.split}: must be between 1 and ${count - 1} (the manifest has ${count} batch(es); the split comes after batch N)` };
    }
    return { stream: one.stream.map((_, i) => (i < options.split! ? 0 : 1)), problem: null };
  }
  const n = options.streams ?? 1;
  if (n > count) return { ...one, problem: `--streams ${n}: the manifest has only ${count} batch(es)` };
  const cuts = Array.from({ length: n - 1 }, (_, k) => Math.floor((count * (k + 1)) / n));
  return { stream: one.stream.map((_, i) => cuts.filter((c) => i >= c).length), problem: null };
}

/**
 * Sets `dependsOn` of every agent's batch. A manifest batch waits for the one before it in its
 * stream, or, with `depends_on`, for the batches it names (sparse dependencies). Waiting for a
 * batch means waiting for all its agents when it is parallel, for its last agent when its agents
 * run one after another (each of those already waits for the one before). A batch whose agents
 * were all skipped passes on what it waited for. Agents of a sequential batch wait for each other.
 */
export function orderBatches(batches: OrderedBatch[], options: StreamOptions): { problems: string[]; info: string[] } {
  const problems: string[] = [];
  const { stream, problem } = streamsOf(batches.length, options);
  if (problem) return { problems: [problem], info: [] };

  const positions = new Map<string, number[]>();
  batches.forEach((b, i) => positions.set(b.id, [...(positions.get(b.id) ?? []), i]));
  const exits = new Map<number, PlannedBatch[]>();
  const visiting = new Set<number>();

  const resolve = (where: string, ids: string[], self: number): PlannedBatch[] =>
    ids.flatMap((id) => {
      const found = positions.get(id) ?? [];
      if (found.length !== 1) {
        const known = [...positions.keys()].join(', ');
        problems.push(found.length ? `${where}: depends_on ${id}: ${found.length} batches have this id; give them different ids` : `${where}: depends_on ${id}: no batch has this id (ids: ${known})`);
        return [];
      }
      if (found[0] === self) {
        problems.push(`${where}: depends_on ${id}: a batch cannot depend on itself`);
        return [];
      }
      return exitsOf(found[0]);
    });
  // What a batch's first agent (all agents, when parallel) waits for.
  const entryOf = (i: number): PlannedBatch[] => {
    const b = batches[i];
    if (b.dependsOn) return resolve(b.where, b.dependsOn, i);
    return i > 0 && stream[i - 1] === stream[i] ? exitsOf(i - 1) : [];
  };
  const exitsOf = (i: number): PlannedBatch[] => {
    if (exits.has(i)) return exits.get(i)!;
    if (visiting.has(i)) {
      problems.push(`${batches[i].where}: depends_on makes a cycle through batches without agents`);
      return [];
    }
    visiting.add(i);
    const agents = batches[i].agents.map((a) => a.batch);
    const result = agents.length === 0 ? entryOf(i) : batches[i].parallel ? agents : [agents[agents.length - 1]];
    visiting.delete(i);
    exits.set(i, result);
    return result;
  };

  batches.forEach((b, i) => {
    const entry = entryOf(i);
    b.agents.forEach((a, k) => {
      const own = a.dependsOn ? resolve(a.where, a.dependsOn, i) : null;
      const previous = !b.parallel && k > 0 ? [b.agents[k - 1].batch] : [];
      const waitsFor = previous.length ? [...previous, ...(own ?? [])] : (own ?? entry);
      a.batch.dependsOn = [...new Set(waitsFor.map((w) => w.name))];
    });
  });

  const info: string[] = [];
  const count = Math.max(...stream, 0) + 1;
  if (count > 1) {
    const names = Array.from({ length: count }, (_, s) => batches.filter((_, i) => stream[i] === s).map((b) => b.id).join(', '));
    info.push(`${count} independent streams (as cast-parallel runs them): ${names.map((ids, s) => `${s < 26 ? String.fromCharCode(65 + s) : s + 1} = batches ${ids}`).join('; ')}`);
  }
  return { problems, info };
}
