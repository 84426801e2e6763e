/** Greets someone in English. The greeting-i18n batch adds other languages under src/i18n/. */
export function greet(name: string): string {
  return `Hello, ${name}!`;
}
