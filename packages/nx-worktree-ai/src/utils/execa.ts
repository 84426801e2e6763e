import type * as Execa from 'execa';

/**
 * execa, loaded when the first process other than git starts (the agent, a setup or verify
 * command, the sandbox probe): a result-cache replay starts none and skips its ~60 ms load.
 */
export function execaModule(): typeof Execa {
  return require('execa') as typeof Execa;
}
