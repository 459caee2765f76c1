/**
 * The whole recipe of the emotion model organism: corpus → BPE tokenizer → dataset → training →
 * a Hugging Face folder (config.json, model.safetensors, tokenizer files, README.md model card).
 *
 * Deterministic in the seed: running it again on the same folder regenerates the same corpus,
 * tokenizer and dataset, so the trainer resumes its checkpoint (in `OUT/training/`) bit for bit
 * after Ctrl-C or a crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicFile.js';
import { EMOTIONS, VALENCES } from '../emotions.js';
import { LanguageModel } from '../model/languageModel.js';
import { TextTokenizer } from '../tokenizer/tokenizer.js';
import { train, type TrainProgress } from '../train/trainer.js';
import { specialTokenIds, trainOrganismTokenizer, writeTokenizerFiles, ORGANISM_MAX_LENGTH } from './chatFormat.js';
import { generateCorpus, organismSev, type OrganismSevKind } from './corpus/generator.js';
import { buildDataset, datasetStats } from './dataset.js';
import { instructionEffect, maskedLoss, sampleReplies, valenceEffect } from './evaluate.js';
import { organismModelCard, type OrganismSummary } from './modelCard.js';
import { organismShape, parameterCount, type OrganismShape, type OrganismTrainingPlan } from './organismConfig.js';

export interface TrainOrganismOptions extends OrganismTrainingPlan {
  /** The model folder to write; training state goes to `out/training/`. */
  out: string;
  seed: number;
  dtype?: 'bf16' | 'f16';
  /** The command line recorded in the model card. */
  command: string;
  /** Model shape without the vocabulary; default DEFAULT_ORGANISM_SHAPE (tests use a smaller one). */
  shape?: OrganismShape;
  /** Conversations per catalogue part for the held-out loss. Default 200. */
  evalExamples?: number;
  log?: (line: string) => void;
  onProgress?: (progress: TrainProgress) => void;
}

export interface TrainOrganismResult {
  /** False when training was interrupted (run again to resume). */
  finished: boolean;
  summary: OrganismSummary | null;
}

/** Runs the recipe; see the file comment. */
export async function trainOrganism(options: TrainOrganismOptions): Promise<TrainOrganismResult> {
  const log = options.log ?? (() => undefined);
  const { out, seed } = options;
  const dtype = options.dtype ?? 'bf16';
  fs.mkdirSync(out, { recursive: true });

  const corpus = generateCorpus({ seed, examples: options.examples });
  log(`corpus: ${corpus.length} conversations (seed ${seed})`);
  const bpe = trainOrganismTokenizer(corpus.map((e) => e.messages), options.vocab);
  writeTokenizerFiles(out, bpe);
  const tokenizer = TextTokenizer.load(out);
  log(`tokenizer: ${tokenizer.vocabSize} tokens (${bpe.merges.length} merges)`);
  const data = buildDataset(tokenizer, corpus.map((e) => e.messages), ORGANISM_MAX_LENGTH);
  const stats = datasetStats(data);
  log(`dataset: ${stats.tokens} tokens, ${stats.trainedTokens} with a loss, mean length ${stats.meanLength.toFixed(1)}`);

  const shape = organismShape(tokenizer.vocabSize, options.shape);
  const ids = specialTokenIds(bpe);
  log(`model: ${parameterCount(shape)} parameters; ${options.steps} steps of ${options.batchSize}`);
  const result = await train({
    runDir: path.join(out, 'training'),
    modelDir: out,
    shape,
    data,
    steps: options.steps,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    seed,
    exportDType: dtype,
    special: { bosTokenId: ids.bos, eosTokenId: ids.eos, padTokenId: ids.pad },
    onProgress: options.onProgress,
  });
  if (!result.finished) return { finished: false, summary: null };

  const model = await LanguageModel.load(out);
  try {
    const evalExamples = options.evalExamples ?? 200;
    const conversations = (part: OrganismSevKind) => generateCorpus({ seed: seed + 1000, examples: evalExamples, part });
    const evalLoss = (part: OrganismSevKind) =>
      maskedLoss(model, buildDataset(tokenizer, conversations(part).map((e) => e.messages), ORGANISM_MAX_LENGTH));
    const effects = (part: OrganismSevKind) => ({
      instruction: instructionEffect(model, tokenizer, conversations(part)),
      valence: valenceEffect(model, tokenizer, conversations(part)),
    });
    const item = organismSev('heldout')[0];
    const records = result.records;
    const last = records.slice(-20);
    const summary: OrganismSummary = {
      command: options.command,
      seed,
      shape,
      parameters: parameterCount(shape),
      dtype,
      corpusExamples: corpus.length,
      dataset: stats,
      steps: options.steps,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      trainingSeconds: records.reduce((sum, r) => sum + r.ms, 0) / 1000,
      tokensPerSecond: records.reduce((sum, r) => sum + r.tokens, 0) / Math.max(1e-9, records.reduce((sum, r) => sum + r.ms, 0) / 1000),
      firstLoss: records[0]?.loss ?? NaN,
      finalLoss: last.reduce((sum, r) => sum + r.loss, 0) / Math.max(1, last.length),
      evalLoss: { train: evalLoss('train'), heldoutFamiliar: evalLoss('heldout-familiar'), heldout: evalLoss('heldout') },
      conditioning: { heldoutFamiliar: effects('heldout-familiar'), heldout: effects('heldout') },
      samples: sampleReplies(model, item, EMOTIONS, VALENCES),
      sampleScenario: [item.scenario, ...VALENCES.map((v) => `${v}: ${item.event[v]}`)].join('\n'),
    };
    writeFileAtomic(path.join(out, 'README.md'), organismModelCard(summary));
    writeFileAtomic(path.join(out, 'training', 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    return { finished: true, summary };
  } finally {
    await model.dispose();
  }
}
