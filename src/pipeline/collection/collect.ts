/**
 * Activation collection: one forward pass over every SEV prompt (train and test; instructed in
 * each of the 6 emotions and uninstructed, for each of the 3 valences) that records, at the last
 * prompt token, everything the later stages read — so the model never runs again for them.
 *
 * Stored per row (L layers, d hidden, dff MLP width, H·dh = attention heads × head dim):
 *
 * | site               | hook                          | row shape  |
 * | ------------------ | ----------------------------- | ---------- |
 * | `resid_mid`        | blocks.{l}.hook_resid_mid     | [L, d]     | attention site
 * | `resid_post`       | blocks.{l}.hook_resid_post    | [L, d]     | MLP site
 * | `mlp_post`         | blocks.{l}.mlp.hook_post      | [L, dff]   | neuron activations
 * | `attn_z`           | blocks.{l}.attn.hook_z        | [L, H·dh]  | head h = columns h·dh…h·dh+dh
 * | `final_normalized` | ln_final.hook_normalized      | [d]        | final RMS norm before its gain
 * | `final_hidden`     | (final_normalized × gain)     | [d]        | = lm_head input = HF hidden_states[-1]
 *
 * Layout on disk (`<run>/activations/`): per-chunk safetensors files `chunk-NNNNN.safetensors`
 * (tensor `{site}` of shape [rows, …row shape]), `index.json` (chunks with first row, row count and
 * sha256; `complete` once every chunk is written) and `samples.jsonl` (one line per row, written
 * at the end). Each chunk is written atomically and then recorded in index.json, so a run killed
 * at any point resumes at the first missing chunk; chunk boundaries and forward batches depend only
 * on the settings, so a resumed run writes the same bytes as an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { EmotionCircuitsError } from '../../errors.js';
import type { HookContext } from '../../model/hooks.js';
import type { LanguageModel } from '../../model/languageModel.js';
import type { Tensor } from '../../model/tensor.js';
import { sha256File, writeJsonAtomic, writeJsonlAtomic, writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { EMOTIONS, VALENCES, type Emotion, type Valence } from '../../emotions.js';
import { instructedMessages, uninstructedMessages, type ChatMessage } from '../stimuli/prompts.js';
import type { SevItem, SevSplit } from '../stimuli/sev.js';

export const ACTIVATIONS_DIR = 'activations';
export const INDEX_FILE = 'index.json';
export const SAMPLES_FILE = 'samples.jsonl';
export const ACTIVATION_FORMAT = 'emotion-circuits/activations@1';

export const ACTIVATION_SITES = ['resid_mid', 'resid_post', 'mlp_post', 'attn_z', 'final_normalized', 'final_hidden'] as const;
export type ActivationSite = (typeof ACTIVATION_SITES)[number];

export type PromptKind = 'instructed' | 'uninstructed';

/** One row of the activation store (one prompt). */
export interface SampleRecord {
  row: number;
  split: SevSplit;
  /** `skeleton_id` of the SEV item. */
  skeletonId: string;
  theme: string;
  valence: Valence;
  /** The instructed emotion; null for uninstructed prompts. */
  emotion: Emotion | null;
  kind: PromptKind;
  /** Prompt length in tokens; the activations are read at position tokens − 1. */
  tokens: number;
}

export interface PreparedPrompt {
  readonly sample: SampleRecord;
  readonly ids: readonly number[];
}

export interface ChunkRecord {
  file: string;
  firstRow: number;
  rows: number;
  sha256: string;
}

export interface ActivationIndex {
  format: typeof ACTIVATION_FORMAT;
  /** Hash of everything the activations depend on (model, prompts, chunking). */
  inputsHash: string;
  complete: boolean;
  rows: number;
  chunkSize: number;
  batchSize: number;
  layers: number;
  hiddenSize: number;
  mlpWidth: number;
  zWidth: number;
  templateKind: 'model' | 'plain';
  sites: Record<ActivationSite, { hook: string; rowShape: number[] }>;
  chunks: ChunkRecord[];
}

/**
 * Every prompt of both splits in a fixed order: split (train, test) → item → valence → the 6
 * instructed emotions, then the uninstructed prompt. Rows of one group (item × valence) are
 * adjacent. Encoded with the model's chat template, or the plain one for base models.
 */
export function buildPrompts(
  model: Pick<LanguageModel, 'encodeChat'>, splits: Record<SevSplit, readonly SevItem[]>,
): { prompts: PreparedPrompt[]; templateKind: 'model' | 'plain' } {
  const prompts: PreparedPrompt[] = [];
  const kinds = new Set<'model' | 'plain'>();
  const add = (split: SevSplit, item: SevItem, valence: Valence, emotion: Emotion | null, messages: ChatMessage[]): void => {
    const { ids, prompt } = model.encodeChat(messages);
    kinds.add(prompt.templateKind);
    const sample: SampleRecord = {
      row: prompts.length, split, skeletonId: item.skeletonId, theme: item.theme, valence, emotion,
      kind: emotion === null ? 'uninstructed' : 'instructed', tokens: ids.length,
    };
    prompts.push({ sample, ids });
  };
  for (const split of ['train', 'test'] as const) {
    for (const item of splits[split]) {
      for (const valence of VALENCES) {
        for (const emotion of EMOTIONS) add(split, item, valence, emotion, instructedMessages(item, valence, emotion));
        add(split, item, valence, null, uninstructedMessages(item, valence));
      }
    }
  }
  return { prompts, templateKind: kinds.has('model') ? 'model' : 'plain' };
}

export interface CollectProgress {
  rowsDone: number;
  rowsTotal: number;
  /** Rows found already written when the run started (resumed). */
  rowsResumed: number;
  chunksDone: number;
  chunksTotal: number;
}

export interface CollectOptions {
  /** Prompts per forward pass (a ragged batch). Default 16. */
  batchSize?: number;
  /** Prompts per chunk file: the unit of resumption. Default 64. */
  chunkSize?: number;
  /** Hash of the inputs; an existing partial store with another hash is discarded. */
  inputsHash: string;
  templateKind: 'model' | 'plain';
  onProgress?: (progress: CollectProgress) => void;
}

interface Dims {
  layers: number;
  d: number;
  dff: number;
  zWidth: number;
}

function siteTable(dims: Dims): Record<ActivationSite, { hook: string; rowShape: number[] }> {
  const { layers, d, dff, zWidth } = dims;
  return {
    resid_mid: { hook: 'blocks.{l}.hook_resid_mid', rowShape: [layers, d] },
    resid_post: { hook: 'blocks.{l}.hook_resid_post', rowShape: [layers, d] },
    mlp_post: { hook: 'blocks.{l}.mlp.hook_post', rowShape: [layers, dff] },
    attn_z: { hook: 'blocks.{l}.attn.hook_z', rowShape: [layers, zWidth] },
    final_normalized: { hook: 'ln_final.hook_normalized', rowShape: [d] },
    final_hidden: { hook: 'ln_final.hook_normalized × ln_final gain (lm_head input)', rowShape: [d] },
  };
}

function readIndex(file: string): ActivationIndex | null {
  if (!fs.existsSync(file)) return null;
  try {
    const index = JSON.parse(fs.readFileSync(file, 'utf8')) as ActivationIndex;
    return index.format === ACTIVATION_FORMAT ? index : null;
  } catch {
    return null; // a store we cannot read is rebuilt, never trusted
  }
}

/**
 * Runs every prompt and writes the activation store under `dir` (usually `<run>/activations`).
 * Chunks already recorded in `dir/index.json` with the same inputs hash and an intact sha256 are
 * kept; the rest are computed. Returns the completed index.
 */
export async function collectActivations(
  model: LanguageModel, prompts: readonly PreparedPrompt[], dir: string, options: CollectOptions,
): Promise<ActivationIndex> {
  const batchSize = options.batchSize ?? 16;
  const chunkSize = options.chunkSize ?? 64;
  if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(chunkSize) && chunkSize > 0)) {
    throw new EmotionCircuitsError('USAGE', `batch size and chunk size must be positive integers, got ${batchSize} and ${chunkSize}`);
  }
  if (prompts.length === 0) throw new EmotionCircuitsError('RUN', 'no prompts to collect');
  const cfg = model.config;
  const dims: Dims = { layers: cfg.numLayers, d: cfg.hiddenSize, dff: cfg.intermediateSize, zWidth: cfg.numHeads * cfg.headDim };
  fs.mkdirSync(dir, { recursive: true });
  const indexFile = path.join(dir, INDEX_FILE);
  // Temp files of a write that a crash or Ctrl-C cut short are garbage: the target was never renamed.
  for (const name of fs.readdirSync(dir)) if (name.startsWith('.') && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });

  const chunksTotal = Math.ceil(prompts.length / chunkSize);
  const index: ActivationIndex = {
    format: ACTIVATION_FORMAT,
    inputsHash: options.inputsHash,
    complete: false,
    rows: prompts.length,
    chunkSize,
    batchSize,
    layers: dims.layers,
    hiddenSize: dims.d,
    mlpWidth: dims.dff,
    zWidth: dims.zWidth,
    templateKind: options.templateKind,
    sites: siteTable(dims),
    chunks: [],
  };
  // Resume: keep the chunks of an earlier attempt with the same inputs whose bytes are intact.
  const previous = readIndex(indexFile);
  if (previous && previous.inputsHash === options.inputsHash && previous.chunkSize === chunkSize && previous.rows === prompts.length) {
    for (const chunk of previous.chunks) {
      const file = path.join(dir, chunk.file);
      if (fs.existsSync(file) && sha256File(file) === chunk.sha256) index.chunks.push(chunk);
    }
  }
  const done = new Set(index.chunks.map((c) => c.firstRow));
  const rowsResumed = index.chunks.reduce((n, c) => n + c.rows, 0);
  let rowsDone = rowsResumed;
  const report = (): void =>
    options.onProgress?.({ rowsDone, rowsTotal: prompts.length, rowsResumed, chunksDone: index.chunks.length, chunksTotal });
  report();

  for (let chunk = 0; chunk < chunksTotal; chunk++) {
    const firstRow = chunk * chunkSize;
    if (done.has(firstRow)) continue;
    const chunkPrompts = prompts.slice(firstRow, firstRow + chunkSize);
    const buffers = await collectChunk(model, dims, chunkPrompts, batchSize, (rows) => {
      rowsDone += rows;
      report();
    });
    const file = `chunk-${String(chunk).padStart(5, '0')}.safetensors`;
    const n = chunkPrompts.length;
    const sha256 = writeSafetensorsAtomic(
      path.join(dir, file),
      ACTIVATION_SITES.map((site) => ({ name: site, shape: [n, ...index.sites[site].rowShape], data: buffers[site] })),
      { format: ACTIVATION_FORMAT, firstRow: String(firstRow), rows: String(n) },
    );
    index.chunks.push({ file, firstRow, rows: n, sha256 });
    index.chunks.sort((a, b) => a.firstRow - b.firstRow);
    writeJsonAtomic(indexFile, index);
    report();
  }
  writeJsonlAtomic(path.join(dir, SAMPLES_FILE), prompts.map((p) => p.sample));
  index.complete = true;
  writeJsonAtomic(indexFile, index);
  return index;
}

/** Forward passes over one chunk in batches, copying only the last row of each hook point. */
async function collectChunk(
  model: LanguageModel, dims: Dims, prompts: readonly PreparedPrompt[], batchSize: number, onRows: (rows: number) => void,
): Promise<Record<ActivationSite, Float32Array>> {
  const { layers, d, dff, zWidth } = dims;
  const n = prompts.length;
  const buffers: Record<ActivationSite, Float32Array> = {
    resid_mid: new Float32Array(n * layers * d), //    [n, L, d]
    resid_post: new Float32Array(n * layers * d), //   [n, L, d]
    mlp_post: new Float32Array(n * layers * dff), //   [n, L, dff]
    attn_z: new Float32Array(n * layers * zWidth), //  [n, L, H·dh]
    final_normalized: new Float32Array(n * d), //      [n, d]
    final_hidden: new Float32Array(n * d), //          [n, d]
  };
  const gain = model.weights.finalNorm;
  for (let start = 0; start < n; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    /** Copies the activation's last row to buffers[site] at (row start + sequence, layer). */
    const lastRow = (site: ActivationSite, width: number, perLayer: boolean) => (activation: Tensor, ctx: HookContext): void => {
      const tokens = activation.shape[0];
      const row = start + ctx.sequence;
      const offset = perLayer ? (row * layers + (ctx.layer ?? 0)) * width : row * width;
      buffers[site].set(activation.data.subarray((tokens - 1) * width, tokens * width), offset);
    };
    model.forward(batch.map((p) => ({ ids: p.ids })), {
      logits: 'none',
      hooks: [
        { name: 'blocks.*.hook_resid_mid', fn: lastRow('resid_mid', d, true) },
        { name: 'blocks.*.hook_resid_post', fn: lastRow('resid_post', d, true) },
        { name: 'blocks.*.mlp.hook_post', fn: lastRow('mlp_post', dff, true) },
        // hook_z is [T, H, dh]: its last token is the last H·dh values.
        { name: 'blocks.*.attn.hook_z', fn: lastRow('attn_z', zWidth, true) },
        { name: 'ln_final.hook_normalized', fn: lastRow('final_normalized', d, false) },
      ],
    });
    for (let r = start; r < start + batch.length; r++) {
      for (let i = 0; i < d; i++) buffers.final_hidden[r * d + i] = buffers.final_normalized[r * d + i] * gain[i];
    }
    onRows(batch.length);
    await yieldToEventLoop(); // let signals and stderr writes through between batches
  }
  return buffers;
}
