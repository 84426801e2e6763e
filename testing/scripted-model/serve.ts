/**
 * Standalone scripted Anthropic server, for end-to-end tests that run Nx in a child process and for
 * the demo:
 *
 *   npx tsx testing/scripted-model/serve.ts RULES.json [--api anthropic|responses|gemini] [--log FILE] [--delay MS] [--port N] [--url-file FILE]
 *
 * --api picks the API (default anthropic; responses = the OpenAI Responses API for codex, whose URL
 * ends in /v1; gemini = the Gemini API for GOOGLE_GEMINI_BASE_URL).
 * Prints the base URL (http://127.0.0.1:PORT) as the first line of stdout once listening, writes it
 * to --url-file if given, and appends every request log entry to --log FILE as one JSON line.
 * Stops on SIGINT/SIGTERM (or when stdin closes with --exit-on-stdin-close).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { loadRulesFile, startAnthropicServer } from './anthropic';
import { startGeminiServer } from './gemini';
import { startResponsesServer } from './responses';

const APIS = { anthropic: startAnthropicServer, responses: startResponsesServer, gemini: startGeminiServer } as const;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: serve.ts RULES.json [--api anthropic|responses|gemini] [--log FILE] [--delay MS] [--port N] [--url-file FILE] [--exit-on-stdin-close]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let rulesFile: string | undefined;
  let logFile: string | undefined;
  let urlFile: string | undefined;
  let delayMs = 0;
  let port = 0;
  let exitOnStdinClose = false;
  let api: keyof typeof APIS = 'anthropic';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => args[++i] ?? usage(`${a} needs a value`);
    if (a === '--log') logFile = value();
    else if (a === '--api') {
      const name = value();
      if (!(name in APIS)) usage(`--api must be one of ${Object.keys(APIS).join(', ')}`);
      api = name as keyof typeof APIS;
    }
    else if (a === '--url-file') urlFile = value();
    else if (a === '--delay') delayMs = Number(value());
    else if (a === '--port') port = Number(value());
    else if (a === '--exit-on-stdin-close') exitOnStdinClose = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (!rulesFile) rulesFile = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!rulesFile) usage('missing RULES.json');
  if (!Number.isFinite(delayMs) || delayMs < 0) usage('--delay must be a number >= 0');
  if (!Number.isInteger(port) || port < 0) usage('--port must be an integer >= 0');

  const rules = loadRulesFile(rulesFile);
  if (logFile) writeFileSync(logFile, '', { flag: 'a' });
  const server = await APIS[api]({
    rules,
    delayMs,
    port,
    onLog: logFile ? (entry) => appendFileSync(logFile!, `${JSON.stringify(entry)}\n`) : undefined,
  });
  if (urlFile) writeFileSync(urlFile, `${server.url}\n`);
  process.stdout.write(`${server.url}\n`);

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (exitOnStdinClose) {
    process.stdin.on('end', stop).on('close', stop).resume();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`scripted-model: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
