/** Kept for adapters that import these from here; the failure classes live in failures.ts. */
export { classifyInterrupted, exitText } from './failures';
