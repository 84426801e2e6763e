/**
 * The executor's terminal lines, as Nx's devkit logger prints them (info plain, errors bold red)
 * without loading @nx/devkit at run time: in each Nx worker process that import alone costs
 * ~100 ms of CPU, paid six times over when six batches start together.
 * Colours follow the usual rule (picocolors, which Nx uses): off with NO_COLOR, on with
 * FORCE_COLOR, in CI or on a terminal.
 */
export const log = {
  info(line: string): void {
    console.info(line);
  },
  error(line: string): void {
    console.error(colours() ? `\u001b[1m\u001b[31m${line}\u001b[39m\u001b[22m` : line);
  },
};

function colours(): boolean {
  const env = process.env;
  if ('NO_COLOR' in env || process.argv.includes('--no-color')) return false;
  return 'FORCE_COLOR' in env || 'CI' in env || !!process.stderr.isTTY;
}
