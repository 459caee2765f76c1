/** `emotion-circuits train-organism`: trains the emotion model organism into a Hugging Face folder. */
import { UsageError } from '../../errors.js';
import { ORGANISM_PLANS } from '../../organism/organismConfig.js';
import { trainOrganism } from '../../organism/trainOrganism.js';
import { parseFlags, parseInteger, parseNumber } from '../args.js';
import { trainProgressReporter } from '../progress.js';

export const TRAIN_ORGANISM_USAGE = `emotion-circuits train-organism --out DIR [--seed 1] [--steps N] [--quick]
  [--examples N] [--batch-size N] [--vocab N] [--lr X] [--dtype bf16|f16]
  Generates the corpus, trains the BPE tokenizer and the model, and writes an HF folder with a model card.
  Full: 60000 conversations, vocabulary 2048, 2000 steps of 32. --quick: 4000, 1024, 150 steps of 16.
  Run the same command again to resume after Ctrl-C (state in DIR/training/).
  Examples:
    emotion-circuits train-organism --out models/organism
    emotion-circuits train-organism --out /tmp/organism --quick`;

export async function runTrainOrganismCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('train-organism', argv, {
    out: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    quick: { type: 'boolean', default: false },
    examples: { type: 'string' },
    'batch-size': { type: 'string' },
    vocab: { type: 'string' },
    lr: { type: 'string' },
    dtype: { type: 'string' },
  });
  if (!values.out) throw new UsageError(`train-organism: --out is required\n${TRAIN_ORGANISM_USAGE}`);
  if (values.dtype !== undefined && values.dtype !== 'bf16' && values.dtype !== 'f16') {
    throw new UsageError(`train-organism: --dtype expects bf16 or f16, got ${JSON.stringify(values.dtype)}`);
  }
  const plan = ORGANISM_PLANS[values.quick ? 'quick' : 'full'];
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    const n = parseInteger('train-organism', name, value) ?? fallback;
    if (n < 1) throw new UsageError(`train-organism: --${name} must be at least 1, got ${n}`);
    return n;
  };
  const command = ['emotion-circuits', 'train-organism', ...argv].map((a) => (/^[\w./=,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const result = await trainOrganism({
    out: values.out,
    seed: parseInteger('train-organism', 'seed', values.seed) ?? 1,
    examples: positive('examples', values.examples, plan.examples),
    vocab: positive('vocab', values.vocab, plan.vocab),
    steps: positive('steps', values.steps, plan.steps),
    batchSize: positive('batch-size', values['batch-size'], plan.batchSize),
    learningRate: parseNumber('train-organism', 'lr', values.lr, plan.learningRate),
    dtype: values.dtype as 'bf16' | 'f16' | undefined,
    command,
    log: (line) => void process.stderr.write(`train-organism: ${line}\n`),
    onProgress: trainProgressReporter('train-organism'),
  });
  if (!result.finished || !result.summary) {
    process.stderr.write('train-organism: interrupted; run the same command again to resume\n');
    return;
  }
  const s = result.summary;
  process.stdout.write(
    `wrote ${values.out}: ${s.parameters} parameters, ${s.steps} steps in ${(s.trainingSeconds / 60).toFixed(1)} min ` +
      `(${s.tokensPerSecond.toFixed(0)} tokens/s), loss ${s.firstLoss.toFixed(3)} → ${s.finalLoss.toFixed(3)}; held-out reply loss ` +
      `${s.evalLoss.train.loss.toFixed(3)} (train part) / ${s.evalLoss.heldoutFamiliar.loss.toFixed(3)} (new setups) / ` +
      `${s.evalLoss.heldout.loss.toFixed(3)} (new setups and events)\n`,
  );
}
