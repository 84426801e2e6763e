/**
 * A batch file that cannot be used, with the file, the key and what is allowed. In a file of its
 * own so that the plugin entry can export it without loading the parser (yaml, zod).
 */
export class BatchFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid batch file\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BatchFileError';
  }
}

