import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Whether agents can be confined here, and by what; or why not, with what to install. */
export type SandboxTool = { available: true; bwrap: string } | { available: false; reason: string };

const INSTALL_HINT = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap)';
let probed: SandboxTool | undefined;
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Linux with a working `bwrap` (bubblewrap). Found on PATH and tried once per process with the same
 * kind of mount it will be asked for: user namespaces can be switched off (some distributions
 * restrict them), and then bwrap is present but cannot confine anything.
 */
export function sandboxTool(): SandboxTool {
  probed ??= probe();
  return probed;
}

function probe(): SandboxTool {
  if (process.platform !== 'linux') {
    return { available: false, reason: `no OS sandbox is supported on ${process.platform} yet (Linux with bubblewrap only)` };
  }
  const bwrap = onPath('bwrap');
  if (!bwrap) return { available: false, reason: `bwrap was not found on PATH: ${INSTALL_HINT}` };
  const tried = spawnSync(bwrap, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: PROBE_TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (tried.status !== 0) {
    // Not run or stopped (not found, timed out, killed), else bwrap's last word.
    const said = tried.error
      ? (tried.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
        ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
        : tried.error.message
      : tried.status === null
        ? `killed by ${tried.signal}`
        : (tried.stderr.trim().split('\n').pop() ?? '');
    return { available: false, reason: `${bwrap} cannot create a sandbox here (${said}): user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or an AppArmor profile for bwrap)` };
  }
  return { available: true, bwrap };
}

function onPath(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not here
    }
  }
  return null;
}
