/**
 * "Results you can trust": every kind of replay over a workspace where the user edited what the
 * batches generated (committed, uncommitted, deleted, replaced by a file of their own). An Nx cache
 * hit, a result-cache replay after `nx reset`, a forced rerun with --skip-nx-cache: the workspace
 * must stay exactly as the user left it (files, index, HEAD, status), with no model request.
 *
 * Keep the workspaces for inspection: NX_WORKTREE_AI_FAULTS_KEEP=1.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll, diffWorkspaceStates, snapshotWorkspaceState, stripAnsi } from '../testing/workspace';
import { AUTH_MODULE, AUTH_TESTS, DASHBOARD_SCAFFOLD, SAMPLE_PROJECTS } from '../testing/fixtures/six-batches';
import { recordFault } from './support/record';
import { createFaultEnv, log, runNx, TARGET, type FaultEnv } from './support/harness';

jest.setTimeout(6 * 60_000);

const RUN_MANY = ['run-many', '-t', TARGET, '--parallel', '2', '--output-style=static'];

describe('faults: replays over the user’s edits', () => {
  let env: FaultEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  test('replay over user edits of generated code', async () => {
    const fault = 'replay over user edits (Nx cache, result cache, --skip-nx-cache)';
    const problems: string[] = [];
    let dataLost = 0;
    let detail = '';
    try {
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: [AUTH_MODULE, AUTH_TESTS, DASHBOARD_SCAFFOLD], delayMs: 50, prefix: 'nxwa-fault-replay-' });
      const e = env;
      const first = await runNx(e, RUN_MANY);
      if (first.code !== 0) throw new Error(`the first run failed:\n${stripAnsi(first.output).slice(-2000)}`);
      commitAll(e.ws, 'generated code');
      // Files no other batch depends on: an edit of auth-module's files would be a new input of
      // auth-tests, which then runs again after nx reset (a fresh run, from the user's version).
      const [committed, uncommitted] = Object.keys(AUTH_TESTS.expectedFiles);
      writeFileSync(join(e.ws.root, committed), `${readFileSync(join(e.ws.root, committed), 'utf8')}// committed by the user\n`);
      commitAll(e.ws, 'my edit');
      writeFileSync(join(e.ws.root, uncommitted), `${readFileSync(join(e.ws.root, uncommitted), 'utf8')}// not committed yet\n`);
      const [deleted] = Object.keys(DASHBOARD_SCAFFOLD.expectedFiles);
      rmSync(join(e.ws.root, deleted));
      writeFileSync(join(e.ws.root, deleted), '// the user replaced the generated file\n');
      const before = snapshotWorkspaceState(e.ws);
      const requestsBefore = e.server.requests.length;

      const replays: [string, string[]][] = [
        ['Nx cache hit', RUN_MANY],
        ['nx reset', ['reset']],
        ['result cache', RUN_MANY],
        ['--skip-nx-cache', [...RUN_MANY, '--skip-nx-cache']],
      ];
      const durations: string[] = [];
      for (const [name, args] of replays) {
        const res = await runNx(e, args);
        if (res.code !== 0) problems.push(`${name}: exit ${res.code}:\n${stripAnsi(res.output).slice(-2000)}`);
        if (args !== RUN_MANY && name !== '--skip-nx-cache') continue;
        durations.push(`${name} ${(res.durationMs / 1000).toFixed(1)} s`);
        const diffs = diffWorkspaceStates(before, snapshotWorkspaceState(e.ws));
        problems.push(...diffs.map((d) => `after the ${name} replay: ${d}`));
        dataLost += diffs.filter((d) => /^(modified|deleted|created): |^HEAD |^index changed|^git status changed/.test(d)).length;
        for (const path of [committed, uncommitted, deleted]) {
          if (!stripAnsi(res.output).includes(`kept your version of ${path}`)) problems.push(`after the ${name} replay: no "kept your version of ${path}" line`);
        }
      }
      const requests = e.server.requests.length - requestsBefore;
      if (requests) problems.push(`${requests} model request(s) during the replays`);
      detail = `3 edited outputs (committed, uncommitted, replaced) kept through ${durations.join(', ')}; ${requests} model requests`;
    } catch (error) {
      problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      log(`${fault}: ${problems.length ? `FAILED\n  - ${problems.join('\n  - ')}` : 'survived'} (${detail})`);
      recordFault({ fault, runs: 1, survived: problems.length ? 0 : 1, dataLost, detail });
    }
    expect(problems).toEqual([]);
  });
});
