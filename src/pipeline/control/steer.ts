/**
 * Steering one prompt with one arm (`emotion-circuits steer`, the web playground): the prompt goes
 * through the model's chat template as the user turn, with the instructed system message for the
 * prompting arm and the uninstructed one otherwise, and generation runs under the arm's
 * interventions with the shared decoding setting.
 *
 * @example
 * const session = await SteeringSession.open('runs/my-run');
 * const result = await session.steer({ prompt: 'My flight was cancelled.', emotion: 'anger', arm: defaultArm('direction'), onText: (t) => process.stdout.write(t) });
 * await session.dispose();
 */
import type { Emotion } from '../../emotions.js';
import { compileInterventions } from '../../interventions/compile.js';
import type { Intervention } from '../../interventions/intervention.js';
import type { StopReason } from '../../model/generate.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { RunFolder } from '../run/runStore.js';
import { runWeights } from '../run/weightsMode.js';
import { systemInstruction } from '../stimuli/prompts.js';
import { loadArmResources } from './armResources.js';
import { armInterventions, armPromptKind, type ArmResources, type ArmSpec } from './arms.js';
import { generationOptions, resolveDecoding, type DecodingSettings } from './decoding.js';
import { TextStream } from './textStream.js';

export interface SteerRequest {
  /** The user turn. */
  readonly prompt: string;
  readonly emotion: Emotion;
  readonly arm: ArmSpec;
  /** Random arms: which draw (default the arm's first seed). */
  readonly seed?: number;
  /** Overrides of the shared decoding setting (then of the arm's own). */
  readonly decoding?: Partial<DecodingSettings>;
  /** Interventions added to the arm's (e.g. a control vector from `controlVectorInterventions`). */
  readonly extraInterventions?: readonly Intervention[];
  /** Receives the reply's text as it grows. */
  readonly onText?: (delta: string) => void;
  readonly signal?: AbortSignal;
}

export interface SteerResult {
  readonly text: string;
  readonly ids: number[];
  readonly stopReason: StopReason;
  readonly promptIds: readonly number[];
  readonly interventions: Intervention[];
  readonly decoding: DecodingSettings;
}

export class SteeringSession {
  private constructor(
    readonly runDir: string,
    readonly model: LanguageModel,
    readonly resources: ArmResources,
    private readonly ownsModel: boolean,
  ) {}

  /**
   * Opens a run folder; loads its model unless one is given (then the caller disposes it), with
   * `weights` (default: the run's, manifest.model.weights).
   */
  static async open(runDir: string, options: { model?: LanguageModel; weights?: WeightsMode } = {}): Promise<SteeringSession> {
    const resources = loadArmResources(runDir);
    const manifest = RunFolder.read(runDir);
    const model = options.model ?? (await LanguageModel.load(manifest.model.dir, { weights: options.weights ?? runWeights(manifest) }));
    return new SteeringSession(runDir, model, resources, options.model === undefined);
  }

  /** Token ids of `prompt` as the user turn of the arm's prompt form for `emotion`. */
  encodePrompt(prompt: string, emotion: Emotion, arm: ArmSpec): number[] {
    const system = systemInstruction(armPromptKind(arm) === 'instructed' ? emotion : null);
    return this.model.encodeChat([{ role: 'system', content: system }, { role: 'user', content: prompt }]).ids;
  }

  async steer(request: SteerRequest): Promise<SteerResult> {
    const { arm, emotion } = request;
    const seed = request.seed ?? (arm.method === 'random' ? arm.seeds[0] : null);
    const interventions = [...armInterventions(arm, emotion, this.resources, seed), ...(request.extraInterventions ?? [])];
    const decoding = resolveDecoding(request.decoding, resolveDecoding(arm.decoding));
    const promptIds = this.encodePrompt(request.prompt, emotion, arm);
    const stream = request.onText ? new TextStream((ids) => this.model.decode(ids), request.onText) : null;
    const [generation] = await this.model.generateAsync([promptIds], {
      ...generationOptions(decoding),
      hooks: compileInterventions(interventions, this.model.config),
      onToken: stream ? (_, id) => stream.push(id) : undefined,
      signal: request.signal,
    });
    stream?.flush();
    return { text: this.model.decode(generation.ids), ids: generation.ids, stopReason: generation.stopReason, promptIds, interventions, decoding };
  }

  async dispose(): Promise<void> {
    if (this.ownsModel) await this.model.dispose();
  }
}
