/**
 * What the user can do next, printed under an error: a hint per error code, the exit codes, and a
 * "did you mean" for a mistyped command.
 */
import type { EmotionCircuitsError } from '../errors.js';

export const EXIT_CODES = `Exit codes: 0 done; 1 the command ran and failed (bad model folder, run folder, data, download …);
2 usage error (unknown command or flag, missing or malformed value). "emotion-circuits <command> --help"
shows a command's flags and examples.`;

const HINTS: Partial<Record<EmotionCircuitsError['code'], string>> = {
  CONFIG: 'the model folder must be a Hugging Face Llama-family folder (config.json, model.safetensors, tokenizer.json)',
  MISSING_TENSOR: 'the weights do not match config.json; re-download the model or check that the folder holds one model',
  SAFETENSORS: 'the file is damaged or not safetensors; re-download or re-create it',
  TOKENIZER: 'the model folder needs tokenizer.json (and tokenizer_config.json for a chat template)',
  CONTEXT_LENGTH: 'shorten the prompt or ask for fewer new tokens (--max-new-tokens)',
  INTERVENTION: 'see "An intervention is …" in the README for the fields and shapes',
  DOWNLOAD: 'check the model id and the network; gated models need HF_TOKEN; HF_HUB_OFFLINE=1 uses the cache only',
  RUN: 'check the run folder, or run the stage that writes the missing file (directions, components, …) first',
  GGUF: 'the file is not a GGUF control vector; export one with "emotion-circuits export … --format gguf"',
};

/** The hint line for an error, or "" (usage errors point at the command's --help). */
export function nextStep(error: EmotionCircuitsError, command: string): string {
  if (error.code === 'USAGE') return `  next: run "emotion-circuits ${command} --help" for its flags and examples\n`;
  const hint = HINTS[error.code];
  return hint ? `  next: ${hint}\n` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest command name when `name` is a likely typo of it. */
export function didYouMean(name: string, commands: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of commands) {
    const d = c.startsWith(name) && name.length >= 2 ? 1 : editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
