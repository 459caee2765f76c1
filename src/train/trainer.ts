/**
 * Trains a Llama model on examples of token ids with loss masks, and saves it as a Hugging Face
 * folder that LanguageModel.load reads.
 *
 * The run folder holds `checkpoint.safetensors` (parameters, Adam moments, step and data cursor;
 * written atomically every `checkpointEvery` steps, on Ctrl-C / abort, and at the end), `loss.jsonl`
 * (one line per step) and, when done, the model folder (`model/` unless `modelDir` says otherwise).
 * Running train() again on the same folder resumes from the checkpoint, bit for bit: the data
 * order is a function of (seed, epoch), the products are deterministic, and the optimizer state
 * is saved exactly.
 *
 * @example
 * const result = await train({
 *   runDir: 'runs/organism-train', data, steps: 2000, batchSize: 32,
 *   shape: { d: 128, layers: 4, heads: 4, kvHeads: 4, dff: 384, vocab: 2048, tied: true, maxPositions: 256, ropeTheta: 10000, eps: 1e-5 },
 *   onProgress: trainProgressReporter('train'),
 * });
 * result.modelDir; // 'runs/organism-train/model'
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicFile.js';
import { UsageError } from '../errors.js';
import { createBackend } from '../kernels/index.js';
import type { LinearBackend } from '../kernels/types.js';
import { GradModel } from '../model/grad/gradModel.js';
import { initParams, paramLayout, type LlamaShape, type ParamLayout } from '../model/grad/params.js';
import { type TrainExample, batchIndices, batchesPerEpoch, dataFingerprint, validateDataset } from './dataset.js';
import { type ExportDType, type SpecialTokens, exportHfFolder } from './hfExport.js';
import { type AdamWSettings, DEFAULT_ADAMW, adamWUpdate, clipGradNorm, learningRate } from './optimizer.js';
import { type TrainCursor, readTrainState, writeTrainState } from './trainState.js';

export interface TrainOptions {
  /** Run folder (created): checkpoint.safetensors, loss.jsonl, model/. */
  readonly runDir: string;
  readonly shape: LlamaShape;
  readonly data: readonly TrainExample[];
  /** Optimizer steps in all (the schedule's length). */
  readonly steps: number;
  /** Examples per step. */
  readonly batchSize: number;
  /** Peak learning rate; default 3e-3. */
  readonly learningRate?: number;
  /** Learning rate at the end of the cosine; default learningRate / 10. */
  readonly minLearningRate?: number;
  /** Linear warm-up steps; default min(100, steps / 10). */
  readonly warmupSteps?: number;
  /** AdamW settings; defaults in optimizer.ts (β 0.9/0.95, ε 1e-8, weight decay 0.1 on matrices only). */
  readonly adamW?: Partial<AdamWSettings>;
  /** Global gradient-norm clip; default 1 (0 = off). */
  readonly gradClip?: number;
  /** Seed of the initial weights and of the data order; default 1. */
  readonly seed?: number;
  /** Checkpoint every this many steps; default 100. */
  readonly checkpointEvery?: number;
  /** Weights of the saved model; default bf16. */
  readonly exportDType?: ExportDType;
  /** Where the HF folder goes; default `runDir/model`. */
  readonly modelDir?: string;
  /** Token ids written into config.json. */
  readonly special?: SpecialTokens;
  /** Compute backend (its `matmul` runs the products); default: the fastest available, disposed at the end. */
  readonly backend?: LinearBackend;
  /** Checkpoint and return once this many steps are done (resume later by calling train() again). */
  readonly stopAfterStep?: number;
  /** Aborting checkpoints after the current step and returns. */
  readonly signal?: AbortSignal;
  /** Ctrl-C (SIGINT) checkpoints after the current step and returns (a second Ctrl-C exits); default true. */
  readonly handleSigint?: boolean;
  /** Called after every step (e.g. trainProgressReporter from cli/progress.ts). */
  readonly onProgress?: (progress: TrainProgress) => void;
}

/** One line of loss.jsonl. */
export interface StepRecord {
  /** 1-based step number. */
  readonly step: number;
  readonly epoch: number;
  /** Mean masked cross-entropy of the step's batch (nats per token), before the update. */
  readonly loss: number;
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Positions counted in the loss. */
  readonly lossTokens: number;
  /** Tokens run through the model (all positions). */
  readonly tokens: number;
  /** Wall time of the step. */
  readonly ms: number;
}

export interface TrainProgress {
  readonly step: number;
  readonly steps: number;
  /** Steps that were restored from a checkpoint when this call started. */
  readonly resumedAt: number;
  readonly record: StepRecord;
  /** Tokens per second over this call's steps. */
  readonly tokensPerSecond: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number;
}

export interface TrainResult {
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly stepsDone: number;
  /** All steps done and the model saved. */
  readonly finished: boolean;
  /** Stopped early (Ctrl-C, abort or stopAfterStep); the checkpoint holds the state. */
  readonly interrupted: boolean;
  /** The HF folder (when finished). */
  readonly modelDir: string | null;
  /** Every step's record, from step 1 (including steps of earlier calls). */
  readonly records: StepRecord[];
  /** Tokens per second over this call's steps (0 if none ran). */
  readonly tokensPerSecond: number;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOSS_FILE = 'loss.jsonl';

function readRecords(file: string, upToStep: number): StepRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as StepRecord).filter((r) => r.step <= upToStep);
}

function recordsText(records: readonly StepRecord[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

/** Trains (or resumes) a run; see the file comment. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { shape, data, steps, batchSize, runDir } = options;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new UsageError(`steps must be a positive integer, got ${steps}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new UsageError(`batchSize must be a positive integer, got ${batchSize}`);
  const layout = paramLayout(shape);
  validateDataset(data, shape.vocab, shape.maxPositions);
  const peak = options.learningRate ?? 3e-3;
  const minLr = options.minLearningRate ?? peak / 10;
  const warmup = options.warmupSteps ?? Math.min(100, Math.floor(steps / 10));
  const adamW: AdamWSettings = { ...DEFAULT_ADAMW, ...options.adamW };
  const gradClip = options.gradClip ?? 1;
  const seed = options.seed ?? 1;
  const checkpointEvery = options.checkpointEvery ?? 100;
  const settings = JSON.stringify({ shape, steps, batchSize, peak, minLr, warmup, adamW, gradClip, seed, data: dataFingerprint(data) });

  fs.mkdirSync(runDir, { recursive: true });
  const checkpointFile = path.join(runDir, CHECKPOINT_FILE);
  const lossFile = path.join(runDir, LOSS_FILE);
  const restored = readTrainState(checkpointFile, settings);
  const params = restored?.params ?? initParams(layout, seed);
  const m = restored?.m ?? new Float32Array(layout.size);
  const v = restored?.v ?? new Float32Array(layout.size);
  let cursor: TrainCursor = restored?.cursor ?? { step: 0, epoch: 0, batch: 0 };
  const records = readRecords(lossFile, cursor.step);
  writeFileAtomic(lossFile, recordsText(records));
  const decay = new Uint8Array(layout.size);
  for (const t of layout.tensors) if (t.decay) decay.fill(1, t.offset, t.offset + t.size);

  const backend = options.backend ?? (await createBackend());
  const model = new GradModel(layout, params, backend);
  const grads = new Float32Array(layout.size);
  const perEpoch = batchesPerEpoch(data.length, batchSize);
  const checkpoint = (): void => {
    writeTrainState(checkpointFile, { cursor, params, m, v, settings });
    writeFileAtomic(lossFile, recordsText(records));
  };

  let stopRequested = false;
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 1) process.exit(130);
    stopRequested = true;
  };
  const handleSigint = options.handleSigint ?? true;
  if (handleSigint) process.on('SIGINT', onSigint);
  const resumedAt = cursor.step;
  const started = Date.now();
  let tokensThisCall = 0;
  let interrupted = false;
  try {
    while (cursor.step < steps) {
      const stepStart = Date.now();
      const batch = batchIndices(data.length, batchSize, seed, cursor.epoch, cursor.batch).map((i) => data[i]);
      const lossMasks = batch.map((e) => e.lossMask);
      const tape = model.forward(batch.map((e) => e.ids), { lossMasks });
      const { loss, lossTokens } = model.backward(tape, { lossMasks, grads });
      const gradNorm = clipGradNorm(grads, gradClip);
      const lr = learningRate(cursor.step, steps, warmup, peak, minLr);
      adamWUpdate(params, grads, m, v, decay, cursor.step + 1, lr, adamW);
      const nextBatch = cursor.batch + 1;
      cursor = nextBatch === perEpoch
        ? { step: cursor.step + 1, epoch: cursor.epoch + 1, batch: 0 }
        : { step: cursor.step + 1, epoch: cursor.epoch, batch: nextBatch };
      const record: StepRecord = { step: cursor.step, epoch: cursor.epoch, loss: loss as number, lr, gradNorm, lossTokens, tokens: tape.rows, ms: Date.now() - stepStart };
      records.push(record);
      fs.appendFileSync(lossFile, JSON.stringify(record) + '\n');
      tokensThisCall += tape.rows;
      if (options.onProgress) {
        const elapsedSeconds = (Date.now() - started) / 1000;
        const secondsPerStep = elapsedSeconds / (cursor.step - resumedAt);
        options.onProgress({
          step: cursor.step, steps, resumedAt, record, elapsedSeconds,
          tokensPerSecond: elapsedSeconds > 0 ? tokensThisCall / elapsedSeconds : 0,
          etaSeconds: secondsPerStep * (steps - cursor.step),
        });
      }
      if (cursor.step % checkpointEvery === 0) checkpoint();
      // Let Ctrl-C and abort signals land between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (cursor.step < steps && (stopRequested || options.signal?.aborted || (options.stopAfterStep !== undefined && cursor.step >= options.stopAfterStep))) {
        interrupted = true;
        break;
      }
    }
    checkpoint();
    let modelDir: string | null = null;
    if (!interrupted) {
      modelDir = options.modelDir ?? path.join(runDir, 'model');
      exportHfFolder(modelDir, layout, params, options.exportDType ?? 'bf16', options.special, {
        trained_steps: String(cursor.step), final_loss: String(records.at(-1)?.loss ?? ''),
      });
    }
    const seconds = (Date.now() - started) / 1000;
    return {
      layout, params, stepsDone: cursor.step, finished: !interrupted, interrupted, modelDir, records,
      tokensPerSecond: seconds > 0 ? tokensThisCall / seconds : 0,
    };
  } finally {
    if (handleSigint) process.off('SIGINT', onSigint);
    if (!options.backend) await backend.dispose();
  }
}
