/**
 * The zod parse context of every validation in the plugin. Each one checks a single value per
 * process (an executor's options, a batch file, the plugin's options), and zod by default compiles
 * a fast parser (`new Function`) for each object schema on its first parse: for one value that
 * costs more than it saves, ~10 ms of CPU per batch executor. Without it, the 1,000 batch files of
 * an inference parse no slower either (yaml dominates there).
 */
export const ONE_SHOT = { jitless: true } as const;
