/** The random-weight twin's verdicts (the `statements` a stage wrote), one note each, as written. */
import type { Block } from '../html.js';

export function twinStatementNotes(statements: unknown): Block[] {
  if (!Array.isArray(statements)) return [];
  return statements.filter((line): line is string => typeof line === 'string').map((line) => ({ kind: 'note', text: `Random-weight twin: ${line}` }));
}
