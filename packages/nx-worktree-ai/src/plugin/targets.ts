import type { TargetConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { InferredBatch } from './batches';
import { globsMayOverlap, joinRootGlob, normalizeGlob } from '../batch/globs';
import type { NormalizedAiPluginOptions } from './options';
import { artifactDir, batchTargetName } from './paths';

export const EXECUTOR = 'nx-worktree-ai:generate';
export const TECHNOLOGY = 'nx-worktree-ai';

type Input = string | { dependentTasksOutputFiles: string; transitive?: boolean };

/**
 * The target of one batch:
 * - options: only `{ batch }` (Nx hashes every target of a project: keep inferred options minimal);
 * - inputs: the batch file, its `context`, the outputs of the batches it depends on as
 *   `{ dependentTasksOutputFiles: '**\/*', transitive: true }`, then `!` negations of its own outputs
 *   so they are never part of its hash. Dependency outputs must not be plain file globs: Nx hashes
 *   those from the file list it took before the run, when the dependency had not written them yet,
 *   so the dependent would miss the cache once on the next run; dependentTasksOutputFiles is hashed
 *   after the dependency has run;
 * - outputs: its `outputs` under `{projectRoot}`, and its artifact folder.
 */
export function batchTarget(batch: InferredBatch, options: NormalizedAiPluginOptions, pmExec: string): TargetConfiguration {
  const spec = batch.spec!;
  const { outputs, context } = spec.frontmatter;
  const positive: string[] = [];
  const add = (input: string) => {
    if (!positive.includes(input)) positive.push(input);
  };
  add(`{projectRoot}/${batch.pathInProject}`);
  for (const entry of context) add(contextInput(entry));

  const negations: string[] = [];
  const workspaceGlobs = positive.filter((i) => i.startsWith('{workspaceRoot}/')).map((i) => i.slice('{workspaceRoot}/'.length));
  for (const output of outputs) {
    const glob = normalizeGlob(output);
    negations.push(glob ? `!{projectRoot}/${glob}` : '!{projectRoot}/**');
    // `{workspaceRoot}` inputs are hashed as a separate file set: negate there too when they may reach the outputs.
    const inWorkspace = joinRootGlob(batch.root, glob);
    if (workspaceGlobs.some((g) => globsMayOverlap(g, inWorkspace))) {
      negations.push(`!{workspaceRoot}/${posix.join(batch.root, glob || '**')}`);
    }
  }

  const inputs: Input[] = [...positive];
  if (batch.dependsOn.length || options.dependsOnProjectBatches) inputs.push({ dependentTasksOutputFiles: '**/*', transitive: true });
  inputs.push(...negations);

  // params: 'forward': `nx run-many -t ai-generate --agent codex` reaches every batch task (Nx gives
  // a dependency no CLI params otherwise, and the first path that creates a task decides its params).
  const dependsOn: TargetConfiguration['dependsOn'] = batch.dependsOn.map((dep) =>
    dep.root === batch.root
      ? { target: batchTargetName(options.targetName, dep.name), params: 'forward' as const }
      : { projects: [dep.project], target: batchTargetName(options.targetName, dep.name), params: 'forward' as const },
  );
  if (options.dependsOnProjectBatches) dependsOn.push({ dependencies: true, target: options.targetName, params: 'forward' });

  const target = batchTargetName(options.targetName, batch.name);
  return {
    executor: EXECUTOR,
    options: { batch: batch.file },
    cache: true,
    inputs,
    outputs: [
      ...outputs.map((o) => (normalizeGlob(o) ? `{projectRoot}/${normalizeGlob(o)}` : '{projectRoot}')),
      `{workspaceRoot}/${artifactDir(batch.project, batch.name)}`,
    ],
    ...(dependsOn.length ? { dependsOn } : {}),
    metadata: {
      description: describeBatch(batch),
      technologies: [TECHNOLOGY],
      help: {
        command: `${pmExec} nx run ${batch.project}:${target} --help`,
        example: { options: { model: 'opus', keepWorktree: true } },
      },
    },
  };
}

/** `<targetName>`: runs every batch of the project (nx:noop with dependsOn on each batch target). */
export function aggregateTarget(project: string, batches: InferredBatch[], options: NormalizedAiPluginOptions): TargetConfiguration {
  const names = batches.map((b) => b.name).sort();
  return {
    executor: 'nx:noop',
    // CLI params of `nx run-many -t ai-generate --model X` go on to every batch (see batchTarget).
    dependsOn: names.map((name) => ({ target: batchTargetName(options.targetName, name), params: 'forward' as const })),
    cache: true,
    metadata: {
      description: `Runs every AI batch of ${project} (${names.join(', ')}), in parallel where dependsOn allows`,
      technologies: [TECHNOLOGY],
    },
  };
}

/** A context entry as an Nx input: `{workspaceRoot}/...` and `{projectRoot}/...` kept, anything else under the project. */
export function contextInput(entry: string): string {
  const negated = entry.startsWith('!');
  const path = negated ? entry.slice(1) : entry;
  const input = path.startsWith('{workspaceRoot}/') || path.startsWith('{projectRoot}/') ? path : `{projectRoot}/${normalizeGlob(path)}`;
  return negated ? `!${input}` : input;
}

/** The frontmatter description, else the first line of the prompt (without markdown heading marks). */
export function describeBatch(batch: InferredBatch): string {
  const spec = batch.spec!;
  const explicit = spec.frontmatter.description?.trim();
  if (explicit) return explicit;
  const line = spec.prompt
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*#+\s*/, '').trim())
    .find((l) => l.length > 0);
  if (!line) return `AI batch ${batch.name}`;
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** How to run a binary of the workspace with its package manager (for metadata.help). */
export function packageManagerExec(workspaceRoot: string, nxJson: { cli?: { packageManager?: string } } | undefined): string {
  const exec: Record<string, string> = { npm: 'npx', yarn: 'yarn', pnpm: 'pnpm exec', bun: 'bunx' };
  const configured = nxJson?.cli?.packageManager;
  if (configured && exec[configured]) return exec[configured];
  if (existsSync(join(workspaceRoot, 'bun.lockb')) || existsSync(join(workspaceRoot, 'bun.lock'))) return exec.bun;
  if (existsSync(join(workspaceRoot, 'yarn.lock'))) return exec.yarn;
  if (existsSync(join(workspaceRoot, 'pnpm-lock.yaml'))) return exec.pnpm;
  return exec.npm;
}
