import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { listDir } from '../utils/files';
import { AGENT_FILES_DIR } from '../worktree/worktree';
import { statSig } from './fingerprint';

// Around the worktree: the folder holding the worktrees and prompt files, and a few home dotfiles
// that are classic places to plant a command.

/** A batch worktree folder and its prompt file, as worktree/worktree.ts names them. */
const WORKTREE_ENTRY = /-[0-9a-f]{6}(\.prompt\.md)?$/;
const HOME_FILES = ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.zshrc', '.zprofile', '.zshenv', '.npmrc', '.ssh/authorized_keys', '.ssh/config'];

/** The entries of `baseDir` that are no batch's worktree or prompt file (`worktreeDir`: the batch's own, when it exists), and the home dotfiles. */
export function aroundState(baseDir: string, worktreeDir: string | null): Map<string, string> {
  const state = new Map<string, string>();
  const own = worktreeDir && basename(worktreeDir);
  for (const name of listDir(baseDir)) {
    if (name === own || name === `${own}.prompt.md` || name === AGENT_FILES_DIR || WORKTREE_ENTRY.test(name)) continue;
    const path = join(baseDir, name);
    state.set(path, statSig(path, true));
  }
  for (const file of HOME_FILES) {
    const path = join(homedir(), file);
    state.set(path, statSig(path));
  }
  return state;
}
