/**
 * The prompts of an existing run, rebuilt from its manifest (dataset, limit, tokenizer) and checked
 * against the activation store, so later stages run the model on exactly the prompts that were
 * collected.
 */
import { EmotionCircuitsError } from '../../errors.js';
import { TextTokenizer } from '../../tokenizer/tokenizer.js';
import { limitPerTheme } from '../directions/directionsRun.js';
import type { Manifest } from '../run/runStore.js';
import { loadSev, type SevItem, type SevSplit } from '../stimuli/sev.js';
import type { ActivationStore } from './activationStore.js';
import { buildPrompts, type PreparedPrompt } from './collect.js';

/** Every prompt of the run, in store row order (prompt i is row i). */
export function rebuildRunPrompts(manifest: Manifest, store: ActivationStore): PreparedPrompt[] {
  const limit = (manifest.settings.limit as number | null) ?? undefined;
  const splits = {} as Record<SevSplit, SevItem[]>;
  for (const split of ['train', 'test'] as const) splits[split] = limitPerTheme(loadSev(manifest.dataset.spec, split), limit);
  const tokenizer = TextTokenizer.load(manifest.model.dir);
  const { prompts } = buildPrompts({
    encodeChat: (messages) => {
      const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
      return { ids: tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }), prompt };
    },
  }, splits);
  if (prompts.length !== store.samples.length || prompts.some((p, i) => JSON.stringify(p.sample) !== JSON.stringify(store.samples[i]))) {
    throw new EmotionCircuitsError('RUN', 'the dataset or tokenizer no longer produces the prompts that were collected; re-run `directions`', store.dir);
  }
  return prompts;
}
