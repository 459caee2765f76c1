/** `emotion-circuits steer`: one prompt under one control arm, the reply streamed to stdout. */
import { isEmotion, EMOTIONS } from '../../emotions.js';
import { UsageError } from '../../errors.js';
import { isArmMethod, ARM_METHODS } from '../../pipeline/control/arms.js';
import { SteeringSession } from '../../pipeline/control/steer.js';
import { controlVectorInterventions } from '../../interventions/controlVector.js';
import { WEIGHTS_FLAG, parseFlags, parseNumber, parseOptionalWeights } from '../args.js';
import { armFromFlags, decodingFlags } from '../armFlags.js';

export const STEER_USAGE = `emotion-circuits steer --run RUN_DIR --emotion E --method circuit|direction|prompt|random|none --prompt "…"
  [--strength S] [--band 0.39-0.71] [--seed 0] [--max-new-tokens 100] [--min-new-tokens 10]
  [--vector FILE.gguf|FILE.safetensors [--vector-scale 1]] [--weights stored|int8]
  Prints the model's reply to the prompt (the user turn; no emotion named, except for --method prompt,
  which uses the instructed system message) under the chosen arm, as it is generated. --strength is λ
  for circuit and random (default: the circuit's own λ) and α for direction (default 8); --seed picks
  the random circuit. Decoding: greedy, repetition penalty 1.1, no repeated 3-grams.
  --vector adds a control vector (llama.cpp / repeng GGUF layout, ours from \`export\` or another
  tool's): direction.N × --vector-scale on blocks.N.hook_resid_post at every position, on top of the
  arm (use --method none for the vector alone; --emotion then only labels the run).
  --weights: the weights the model runs with (default: the run's, recorded in manifest.json).
  Examples:
    emotion-circuits steer --run runs/my-run --emotion anger --method circuit --prompt "My flight was cancelled."
    emotion-circuits steer --run runs/my-run --emotion fear --method direction --strength 6 --prompt "The lights went out."
    emotion-circuits steer --run runs/my-run --emotion anger --method none --vector anger.gguf --vector-scale 1.5 --prompt "My flight was cancelled."`;

export async function runSteerCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('steer', argv, {
    run: { type: 'string' },
    emotion: { type: 'string' },
    method: { type: 'string' },
    prompt: { type: 'string' },
    strength: { type: 'string' },
    band: { type: 'string' },
    seed: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    'min-new-tokens': { type: 'string' },
    vector: { type: 'string' },
    'vector-scale': { type: 'string' },
    ...WEIGHTS_FLAG,
  });
  if (!values.run || values.prompt === undefined || !values.emotion || !values.method) throw new UsageError(`steer: --run, --emotion, --method and --prompt are required\n${STEER_USAGE}`);
  if (!isEmotion(values.emotion)) throw new UsageError(`steer: --emotion must be one of ${EMOTIONS.join(', ')}, got ${JSON.stringify(values.emotion)}`);
  if (!isArmMethod(values.method)) throw new UsageError(`steer: --method must be one of ${ARM_METHODS.join(', ')}, got ${JSON.stringify(values.method)}`);
  const strength = values.strength;
  const arm = armFromFlags('steer', values.method, {
    band: values.band,
    alpha: values.method === 'direction' ? strength : undefined,
    lambda: values.method === 'circuit' || values.method === 'random' ? strength : undefined,
    'random-seeds': values.seed,
  });
  const decoding = decodingFlags('steer', values);
  if (strength !== undefined) parseNumber('steer', 'strength', strength, 0);
  if (values['vector-scale'] !== undefined && values.vector === undefined) throw new UsageError('steer: --vector-scale needs --vector FILE');
  const vectorScale = parseNumber('steer', 'vector-scale', values['vector-scale'], 1);
  const session = await SteeringSession.open(values.run, { weights: parseOptionalWeights('steer', values.weights) });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const extraInterventions = values.vector === undefined ? [] : controlVectorInterventions(values.vector, session.model.config, vectorScale);
    const result = await session.steer({
      extraInterventions,
      prompt: values.prompt,
      emotion: values.emotion,
      arm,
      decoding,
      signal: controller.signal,
      onText: (delta) => process.stdout.write(delta),
    });
    process.stdout.write('\n');
    process.stderr.write(`steer: ${result.ids.length} new tokens, stop: ${result.stopReason}; ${result.interventions.length} interventions\n`);
  } finally {
    process.off('SIGINT', onSigint);
    await session.dispose();
  }
}
