import { ARTIFACTS_DIR } from '../plugin/paths';

// The usage texts of the subcommands, apart from their code: the top-level help lists every
// command without loading any, and each command loads only its own modules.

export const REPORT_USAGE = `usage: nx-worktree-ai report [--run <id> | --all] [--root <dir>] [--out <file>] [--no-html] [--json] [--scripted-model]

Prints the batches of the last nx command (run) that ran any: status, cache hit, duration, turns,
tokens, cost, files changed, branch, with totals, the command's wall time and parallelism; writes
${ARTIFACTS_DIR}/report.html: a self-contained page with the timeline of the batches, their costs
and links to each batch's prompt, transcript and patch.

  --run <id>       that run instead (the ids are in result.json's runId and --all's headings)
  --all            every run kept, latest first
  --root <dir>     the Nx workspace (default: the nearest folder with nx.json, from the current one)
  --out <file>     where to write the page (default: <root>/${ARTIFACTS_DIR}/report.html)
  --no-html        print the table only
  --json           print the runs as JSON instead of the table
  --scripted-model the results come from a scripted model server (the demo, tests): costs are
                   labelled as computed for it, not spent`;

export const CACHE_USAGE = `usage: nx-worktree-ai cache push|pull [remote] [--root <dir>]

Shares the result cache (refs/nx-worktree-ai/cache/*) through a git remote, so a teammate or CI
replays a batch without a model request.

  push [remote]   send every stored result the remote lacks (default remote: origin)
  pull [remote]   fetch every stored result of the remote (default remote: origin)
  --root <dir>    the Nx workspace (default: the nearest folder with nx.json, from the current one)`;

export const DOCTOR_USAGE = `usage: nx-worktree-ai doctor [--all] [--root <dir>] [--json]

Checks what a batch run needs: Node, git, Nx, the git repository, the plugin in nx.json, the OS
sandbox, and for each agent the workspace's batches use (claude when there is none yet): its CLI,
its version against the tested one, the Node version its package declares, and its credentials
(variables and login files are looked for, never printed). Exit code 1 when something required
is missing; each line that is not ok says what to do.

  --all          check every agent, not only those the batches use (missing ones are not errors)
  --root <dir>   the Nx workspace (default: the nearest folder with nx.json, from the current one)
  --json         print the checks as JSON`;

export const APPLY_USAGE = `usage: nx-worktree-ai apply <project> --project-root=<root> --batches=<file>,<file>,... [--dry-run] [--apply=<mode>]

Brings the changes of the project's batches into the workspace, in the order given, from each
batch's ${ARTIFACTS_DIR}/<project>/<batch>/changes.patch: the step of the project's aggregate target
(ai-generate), after Nx ran the batches or replayed them from its cache. A file is written only
where the workspace still holds the batch's base; a file changed since is kept.

  <project>             the Nx project of the batches
  --project-root=<dir>  its root, from the workspace root
  --batches=<files>     the batch files from the workspace root, comma-separated, in the order to apply
  --dry-run             apply nothing (also --dryRun, =true or =false)
  --apply=<mode>        working-tree, commit or branch, instead of each batch's apply key

The aggregate passes its own arguments first; options appended after them (nx forwards the
command line) do not replace them, and any other option is the batches' business and ignored.`;
