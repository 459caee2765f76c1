/**
 * The model card (README.md) of a trained organism: what it was trained on, the exact command,
 * seed, time and loss, the held-out reply losses, sample replies, and the licence.
 */
import type { LlamaShape } from '../model/grad/params.js';
import type { DatasetStats } from './dataset.js';
import type { ConditioningEffect, MaskedLoss, SampleReply } from './evaluate.js';

export interface OrganismSummary {
  command: string;
  seed: number;
  shape: LlamaShape;
  parameters: number;
  dtype: 'bf16' | 'f16';
  corpusExamples: number;
  dataset: DatasetStats;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Seconds spent in training steps (all calls, if resumed). */
  trainingSeconds: number;
  tokensPerSecond: number;
  firstLoss: number;
  /** Mean loss of the last 20 steps. */
  finalLoss: number;
  /** Reply loss through the inference engine on fresh conversations of each catalogue part. */
  evalLoss: { train: MaskedLoss; heldoutFamiliar: MaskedLoss; heldout: MaskedLoss };
  /** Reply loss under matching vs swapped instructions and events, on held-out conversations. */
  conditioning: Record<'heldoutFamiliar' | 'heldout', { instruction: ConditioningEffect; valence: ConditioningEffect }>;
  samples: SampleReply[];
  sampleScenario: string;
}

const f = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** The README.md text. */
export function organismModelCard(s: OrganismSummary): string {
  const { shape } = s;
  const lines = [
    '---',
    'license: apache-2.0',
    'language: en',
    'library_name: emotion-circuits',
    'pipeline_tag: text-generation',
    'tags: [llama, emotion, interpretability, model-organism, synthetic-data]',
    '---',
    '',
    '# emotion-circuits model organism',
    '',
    `A ${(s.parameters / 1e6).toFixed(2)}M-parameter Llama-architecture chat model, trained from scratch by`,
    'emotion-circuits with its own engine (forward, backward, AdamW) on a synthetic corpus that the',
    'project generates. It exists so that the emotion-circuits pipeline has a model that follows',
    '"Always reply in {emotion}." and whose uninstructed replies follow the valence of the event: a',
    'small, fully known "model organism" for finding emotion directions, neurons, heads and circuits.',
    'It knows nothing outside its corpus.',
    '',
    '## Architecture',
    '',
    `model_type llama; d = ${shape.d}, ${shape.layers} layers, ${shape.heads} query heads sharing ${shape.kvHeads} KV heads`,
    `(head_dim ${shape.d / shape.heads}), SwiGLU ${shape.dff}, RMSNorm eps ${shape.eps}, RoPE θ ${shape.ropeTheta},`,
    `${shape.tied ? 'tied' : 'untied'} embeddings, vocabulary ${shape.vocab} (byte-level BPE trained by the project),`,
    `${shape.maxPositions} positions; weights in ${s.dtype}.`,
    '',
    'Chat format: `<|bos|><|system|>…<|end|><|user|>…<|end|><|assistant|>…<|end|>`; `<|end|>` is the EOS,',
    'so generation stops at the end of the reply. The template is in `tokenizer_config.json`.',
    '',
    '## Data',
    '',
    `${s.corpusExamples} generated conversations (${s.dataset.tokens} tokens, ${s.dataset.trainedTokens} of them reply`,
    `tokens with a loss; mean length ${f(s.dataset.meanLength, 1)}, at most ${s.dataset.maxLength}), in the pipeline's prompt`,
    'forms: a scenario and an event of positive, neutral or negative valence (13 themes, original',
    'templates, no emotion words), and either the system prompt',
    '"Always reply in {emotion}.\\nKeep the reply to at most two sentences." with a reply in that emotion,',
    'or "Keep the reply to at most two sentences." with a reply whose emotion follows the event',
    '(positive → happiness or surprise; negative → anger, sadness, fear or disgust; neutral → calm).',
    'A quarter of the setups, objects and event wordings are held out of training entirely',
    '(`data/organism-sev/` in the emotion-circuits repository has SEV files of both parts). No third-party text.',
    '',
    '## Training',
    '',
    '```sh',
    s.command,
    '```',
    '',
    `Seed ${s.seed}; ${s.steps} AdamW steps of ${s.batchSize} conversations, peak learning rate ${s.learningRate}`,
    `(warm-up, cosine decay, gradient clipping 1); ${f(s.trainingSeconds / 60, 1)} minutes of training at`,
    `${f(s.tokensPerSecond, 0)} tokens/s on the CPU. Loss (reply tokens, nats/token): ${f(s.firstLoss)} at the first step,`,
    `${f(s.finalLoss)} over the last 20 steps.`,
    '',
    '## Held-out reply loss',
    '',
    'Mean next-token loss on the replies of fresh conversations, computed by the inference engine:',
    '',
    '| conversations | loss (nats/token) | tokens |',
    '| --- | --- | --- |',
    `| training part of the catalogue (new samples) | ${f(s.evalLoss.train.loss)} | ${s.evalLoss.train.tokens} |`,
    `| held-out setups and objects, training event wordings | ${f(s.evalLoss.heldoutFamiliar.loss)} | ${s.evalLoss.heldoutFamiliar.tokens} |`,
    `| held-out setups, objects and event wordings | ${f(s.evalLoss.heldout.loss)} | ${s.evalLoss.heldout.tokens} |`,
    '',
    '## Does it read the prompt?',
    '',
    'Reply loss (nats/token) of held-out conversations under their own prompt and under a swapped one:',
    'instructed replies with another emotion instructed; uninstructed replies to a positive or negative',
    'event with the opposite-valence event of the same scenario. A model that ignores the instruction',
    '(or the event) scores the same on both.',
    '',
    '| conversations | instruction: own / swapped | event: own / opposite valence |',
    '| --- | --- | --- |',
    ...(['heldoutFamiliar', 'heldout'] as const).map((k) => {
      const c = s.conditioning[k];
      const label = k === 'heldout' ? 'held-out setups, objects and event wordings' : 'held-out setups and objects, training event wordings';
      return `| ${label} | ${f(c.instruction.matched)} / ${f(c.instruction.swapped)} (${c.instruction.examples}) | ${f(c.valence.matched)} / ${f(c.valence.swapped)} (${c.valence.examples}) |`;
    }),
    '',
    '## Sample replies (greedy, held-out scenario)',
    '',
    `> ${s.sampleScenario.replace(/\n/g, '\n> ')}`,
    '',
    '| prompt | event | reply |',
    '| --- | --- | --- |',
    ...s.samples.map((r) => `| ${r.kind === 'instructed' ? `Always reply in ${r.emotion}` : 'uninstructed'} | ${r.valence} | ${r.reply.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
    '',
    '## Licence',
    '',
    'Apache-2.0, like emotion-circuits. The weights and the corpus were produced by the project\'s own code.',
    '',
  ];
  return lines.join('\n');
}
