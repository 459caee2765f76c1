/** `emotion-circuits generate`: prints a continuation, optionally under interventions from a JSON file. */
import { readFileSync } from 'node:fs';
import { InterventionError, UsageError } from '../../errors.js';
import { compileInterventions } from '../../interventions/compile.js';
import { parseInterventions } from '../../interventions/intervention.js';
import { LanguageModel } from '../../model/languageModel.js';
import { WEIGHTS_FLAG, WEIGHTS_USAGE, parseFlags, parseWeights, parseNumber, resolveModelSpec } from '../args.js';

export const GENERATE_USAGE = `emotion-circuits generate --model DIR --prompt "…" [--system "…"] [--chat] [--intervention FILE.json] ${WEIGHTS_USAGE}
  [--max-new-tokens 100] [--temperature 0] [--top-p 1] [--seed 0] [--repetition-penalty 1] [--no-repeat-ngram 0]
  With --system or --chat the prompt goes through the model's chat template.
  Examples:
    emotion-circuits generate --model DIR --prompt "Tom was sad " --max-new-tokens 60 --repetition-penalty 1.1
    emotion-circuits generate --model DIR --prompt "How was your day?" --system "Keep the reply short." --intervention edit.json`;

export async function runGenerateCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('generate', argv, {
    ...WEIGHTS_FLAG,
    model: { type: 'string' },
    prompt: { type: 'string' },
    system: { type: 'string' },
    chat: { type: 'boolean', default: false },
    intervention: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    'repetition-penalty': { type: 'string' },
    'no-repeat-ngram': { type: 'string' },
  });
  if (values.prompt === undefined) throw new UsageError(`generate: --prompt is required\n${GENERATE_USAGE}`);
  const model = await LanguageModel.load(await resolveModelSpec('generate', values.model), { weights: parseWeights('generate', values.weights) });
  try {
    let hooks = undefined;
    if (values.intervention) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(values.intervention, 'utf8'));
      } catch (error) {
        throw new InterventionError(values.intervention, `cannot read JSON: ${(error as Error).message}`);
      }
      hooks = compileInterventions(parseInterventions(json, model.config, values.intervention), model.config);
    }
    const useChat = values.chat || values.system !== undefined;
    const ids = useChat
      ? model.encodeChat([...(values.system !== undefined ? [{ role: 'system' as const, content: values.system }] : []), { role: 'user' as const, content: values.prompt }]).ids
      : model.encode(values.prompt);
    const [generation] = model.generate([ids], {
      hooks,
      maxNewTokens: parseNumber('generate', 'max-new-tokens', values['max-new-tokens'], 100),
      temperature: parseNumber('generate', 'temperature', values.temperature, 0),
      topP: parseNumber('generate', 'top-p', values['top-p'], 1),
      seed: parseNumber('generate', 'seed', values.seed, 0),
      repetitionPenalty: parseNumber('generate', 'repetition-penalty', values['repetition-penalty'], 1),
      noRepeatNgramSize: parseNumber('generate', 'no-repeat-ngram', values['no-repeat-ngram'], 0),
    });
    const text = model.decode([...ids, ...generation.ids]).slice(model.decode(ids).length);
    process.stdout.write(text + '\n');
  } finally {
    await model.dispose();
  }
}
