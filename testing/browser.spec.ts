import { launchChromium } from './browser';

describe('launchChromium', () => {
  it('fails (never skips) without Chromium, saying how to install it', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow('Chromium not found at /nonexistent/chromium: the report screenshot test needs it. Install it with `apt-get install chromium`');
  });
});
