#!/usr/bin/env bash
# The hand-made pattern nx-worktree-ai replaces, for the benchmark only: a worktree per batch,
# `claude -p` in each in the background, wait, merge every branch, remove the worktrees.
# usage: handmade.sh <workspace> <claude> <prompts dir> <batch>...
set -euo pipefail
ws=$1 claude=$2 prompts=$3
shift 3
cd "$ws"
base=$(mktemp -d)
for b in "$@"; do git worktree add -q -b "hand/$b" "$base/$b" HEAD; done
for b in "$@"; do
  (cd "$base/$b" && "$claude" -p --permission-mode acceptEdits --max-turns 10 <"$prompts/$b.md" >"$base/$b.log" 2>&1) &
done
wait
for b in "$@"; do (cd "$base/$b" && git add -A && git commit -qm "$b"); done
for b in "$@"; do git merge -q --no-edit "hand/$b"; done
for b in "$@"; do git worktree remove --force "$base/$b"; done
rm -rf "$base"
