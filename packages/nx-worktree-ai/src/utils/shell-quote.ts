/** Quotes one argument for a POSIX shell, only when needed: a printed or inferred command can be pasted. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\/.,:=@%+^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
