import type { BatchResult } from './result';

/** A batch that did not succeed: the message is the run's last line. */
export class BatchFailure extends Error {
  constructor(
    message: string,
    readonly result: BatchResult | null,
  ) {
    super(message);
    this.name = 'BatchFailure';
  }
}
