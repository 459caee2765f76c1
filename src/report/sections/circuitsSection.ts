import type { Section } from '../html.js';

export function circuitsSections(_runDir: string): Section[] {
  return [];
}
