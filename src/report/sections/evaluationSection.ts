import type { Section } from '../html.js';

export function evaluationSections(_runDir: string): Section[] {
  return [];
}
