/**
 * git commands no agent may run in a batch's worktree, whatever its permission mode. A worktree
 * shares refs, stash, config and remotes with the user's repository, so anything that publishes,
 * rewrites history or touches shared state is refused; the executor commits the batch's work itself.
 * Each adapter turns them into its CLI's deny rules (claude `Bash(git push:*)`, copilot
 * `shell(git push)`, qwen `run_shell_command(git push)`, opencode `"git push*": "deny"`).
 * These match the command as typed (`git push ...`); they are a guard rail, not a sandbox.
 */
export const DENIED_GIT_COMMANDS = [
  'git push',
  'git reset --hard',
  'git rebase',
  'git commit --amend',
  'git filter-branch',
  'git filter-repo',
  'git update-ref',
  'git branch -d',
  'git branch -D',
  'git branch --delete',
  'git branch -f',
  'git branch -m',
  'git branch -M',
  'git tag -d',
  'git tag -f',
  'git stash',
  'git worktree',
  'git config',
  'git remote',
  'git gc',
  'git prune',
  'git reflog expire',
  'git reflog delete',
] as const;
