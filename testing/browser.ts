/**
 * Headless Chromium for tests that look at the report page: Debian's chromium driven by
 * playwright-core (no browser download). Missing Chromium is a failure, never a skip: CI must
 * install it (`apt-get install chromium`).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Override with NX_WORKTREE_AI_CHROMIUM=/path/to/chromium. */
export const CHROMIUM = process.env.NX_WORKTREE_AI_CHROMIUM || '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: the report screenshot test needs it. Install it with \`apt-get install chromium\` (Debian/Ubuntu), or set NX_WORKTREE_AI_CHROMIUM to a Chromium binary.`,
    );
  }
  try {
    return await chromium.launch({ executablePath, args: ARGS, timeout: 60_000 });
  } catch (e) {
    throw new Error(`Chromium at ${executablePath} did not start (${(e as Error).message.split('\n')[0]}): reinstall it with \`apt-get install chromium\`.`);
  }
}
