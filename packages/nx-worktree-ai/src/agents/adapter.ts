import { classifyOutcome, type AgentFacts } from './failures';
import type { AgentAdapter, AgentFailure, AgentOutcome } from './types';

/** The shared failure classes, worded with one agent's facts. */
export function classifyWith(facts: AgentFacts): (outcome: AgentOutcome) => AgentFailure | null {
  return (outcome) => classifyOutcome(facts, outcome);
}

/** An adapter's fields; what most CLIs share may be left out. */
export type AdapterSpec = Omit<AgentAdapter, 'bin' | 'npmPackage' | 'versionArgs' | 'classify'> & {
  /** How the agent's failures are worded. */
  facts: AgentFacts;
  /** Default: the agent's name. */
  bin?: string;
  /** Default: null (not an npm package: then say how to `install` it). */
  npmPackage?: string | null;
  /** Default: `--version`. */
  versionArgs?: string[];
  /** Default: the shared failure classes with `facts`. */
  classify?: AgentAdapter['classify'];
};

export function defineAdapter({ facts, bin, npmPackage = null, versionArgs = ['--version'], classify, ...fields }: AdapterSpec): AgentAdapter {
  return { ...fields, bin: bin ?? fields.name, npmPackage, versionArgs, classify: classify ?? classifyWith(facts) };
}
