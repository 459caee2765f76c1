/**
 * A loaded model: checkpoint + weights in a compute backend + tokenizer (when the folder has one).
 * The one object the layers above use to run, trace and generate.
 *
 * @example
 * ```ts
 * const model = await LanguageModel.load('path/to/hf-folder'); // or a hub id: 'org/name'
 * const ids = model.encode('Once upon a time');
 * const { logits, activations } = model.run(ids, { cache: ['blocks.*.hook_resid_post'] });
 * const [generation] = model.generate([ids], { maxNewTokens: 20 });
 * console.log(model.decode(generation.ids));
 * await model.dispose();
 * ```
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EmotionCircuitsError } from '../errors.js';
import { createBackend } from '../kernels/index.js';
import type { LinearBackend } from '../kernels/types.js';
import type { ChatMessage } from '../tokenizer/chatTemplate.js';
import { TextTokenizer, type ChatPrompt } from '../tokenizer/tokenizer.js';
import { Checkpoint } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import { forward, type ForwardOptions, type ModelRuntime, type SequenceInput, type SequenceOutput } from './forward.js';
import { generate, generateAsync, type Generation, type GenerationOptions } from './generate.js';
import { isModelId, resolveModel, type HubOptions } from './hub.js';
import { inverseFrequencies, RopeTable } from './rope.js';
import { loadWeights, type ModelWeights, type WeightsMode } from './weights.js';

export interface LoadOptions {
  /** A backend to share between models; by default one is created (and disposed with the model). */
  readonly backend?: LinearBackend;
  /** Where and how a model id (`org/name[@revision]`) is downloaded; ignored for local folders. */
  readonly hub?: HubOptions;
  /**
   * 'stored' (default): linear weights in the checkpoint's dtype. 'int8': quantised at load time
   * (per output row, symmetric), about a quarter of f32's bytes and faster; logits and activations
   * then differ slightly from the stored weights' (see README, "int8 weights").
   */
  readonly weights?: WeightsMode;
}

export class LanguageModel implements ModelRuntime {
  readonly rope: RopeTable;

  private constructor(
    readonly checkpoint: Checkpoint,
    readonly weights: ModelWeights,
    readonly backend: LinearBackend,
    readonly tokenizer: TextTokenizer | null,
    private readonly ownsBackend: boolean,
  ) {
    this.rope = new RopeTable(inverseFrequencies(checkpoint.config));
  }

  get config(): ModelConfig {
    return this.checkpoint.config;
  }

  /**
   * Loads a local Hugging Face folder (config.json, safetensors, optional tokenizer.json), or a hub
   * id (`org/name[@revision]`, see {@link resolveModel}) through the Hugging Face cache. An existing
   * local path always wins over an id.
   */
  static async load(dirOrId: string, options: LoadOptions = {}): Promise<LanguageModel> {
    const dir = isModelId(dirOrId) ? await resolveModel(dirOrId, options.hub) : dirOrId;
    const checkpoint = Checkpoint.open(dir);
    const backend = options.backend ?? (await createBackend());
    try {
      const weights = loadWeights(checkpoint, backend, options.weights ?? 'stored');
      const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? TextTokenizer.load(dir) : null;
      return new LanguageModel(checkpoint, weights, backend, tokenizer, options.backend === undefined);
    } catch (error) {
      checkpoint.close();
      if (options.backend === undefined) await backend.dispose();
      throw error;
    }
  }

  private requireTokenizer(): TextTokenizer {
    if (!this.tokenizer) throw new EmotionCircuitsError('TOKENIZER', 'this model folder has no tokenizer.json; pass token ids instead', this.checkpoint.dir);
    return this.tokenizer;
  }

  /** Token ids of `text` (with the tokenizer's special tokens, e.g. BOS, unless told otherwise). */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.requireTokenizer().encode(text, { addSpecialTokens });
  }

  decode(ids: readonly number[]): string {
    return this.requireTokenizer().decode(ids);
  }

  /** Renders chat messages with the model's template (or the plain one) and tokenizes them. */
  encodeChat(messages: ChatMessage[]): { ids: number[]; prompt: ChatPrompt } {
    const tokenizer = this.requireTokenizer();
    const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
    return { ids: tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }), prompt };
  }

  /** One sequence, one pass (no KV cache kept): logits and the cached activations. */
  run(ids: readonly number[], options: ForwardOptions = {}): SequenceOutput {
    return forward(this, [{ ids }], options)[0];
  }

  /** Several sequences (or chunks continuing KV caches) in one ragged batch. */
  forward(inputs: readonly SequenceInput[], options: ForwardOptions = {}): SequenceOutput[] {
    return forward(this, inputs, options);
  }

  generate(prompts: readonly (readonly number[])[], options: GenerationOptions = {}): Generation[] {
    return generate(this, prompts, options);
  }

  /** As {@link generate}, yielding to the event loop between steps (streaming with `onToken`, cancelling with `signal`). */
  generateAsync(prompts: readonly (readonly number[])[], options: GenerationOptions = {}): Promise<Generation[]> {
    return generateAsync(this, prompts, options);
  }

  /** A checkpoint tensor as f32 (e.g. W_down or W_o for analysis), read from disk. */
  weightF32(name: string): Float32Array {
    return this.checkpoint.readF32(name);
  }

  async dispose(): Promise<void> {
    this.checkpoint.close();
    if (this.ownsBackend) await this.backend.dispose();
  }
}
