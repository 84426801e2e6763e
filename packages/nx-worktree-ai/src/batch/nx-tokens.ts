/**
 * Nx reads `{workspaceRoot}`, `{projectRoot}` and `{projectName}` in every option of a target when
 * it builds the project graph, and refuses `{workspaceRoot}` anywhere but at an option's start: a
 * problem message quoting a bad value (`context: {workspaceRoot}/../x`) in a target's options would
 * fail the whole graph. A zero-width space after the brace keeps the text readable and the token inert.
 */
const TOKEN = /\{(workspaceRoot|projectRoot|projectName)\}/g;
const INERT = /\{\u200b(workspaceRoot|projectRoot|projectName)\}/g;

export function inertNxTokens(text: string): string {
  return text.replace(TOKEN, '{\u200b$1}');
}

export function restoreNxTokens(text: string): string {
  return text.replace(INERT, '{$1}');
}
