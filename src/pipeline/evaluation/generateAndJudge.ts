/**
 * Runs an evaluation plan: generates every text not yet in the log as ragged batches (prompts of
 * different arms and emotions share forward passes through per-sequence hooks), scores it under the
 * unsteered model, judges it, and appends the batch's records to the log before the next batch.
 * Items whose key is already logged with this judge are skipped; logged texts judged by another
 * judge are judged again without generating.
 */
import { compileInterventions } from '../../interventions/compile.js';
import { perSequenceHooks } from '../../interventions/perSequence.js';
import type { Hook } from '../../model/hooks.js';
import type { LanguageModel } from '../../model/languageModel.js';
import { armInterventions, type ArmResources } from '../control/arms.js';
import { generationOptions } from '../control/decoding.js';
import { hashJson } from '../run/atomicWrite.js';
import { textLikelihoods } from './fluency.js';
import type { JsonlLog } from './generationsLog.js';
import type { EvaluationJudge, GenerationRecord, PlanItem } from './records.js';

export interface GenerateAndJudgeOptions {
  /** The model, or a loader called only when some text is not in the log yet (a fully logged plan loads nothing). */
  readonly model: LanguageModel | (() => Promise<LanguageModel>);
  readonly resources: ArmResources;
  readonly judge: EvaluationJudge;
  readonly log: JsonlLog<GenerationRecord>;
  /** Sequences per generation batch. Default 16. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Items finished so far (skipped ones included) out of the plan's. */
  readonly onProgress?: (done: number, total: number) => void;
}

type TextFields = Pick<GenerationRecord, 'prompt' | 'text' | 'newTokens' | 'stopReason' | 'nll' | 'nllTokens'>;

function record(item: PlanItem, fields: TextFields, judge: string, verdict: GenerationRecord['verdict']): GenerationRecord {
  return {
    key: item.key,
    generationKey: item.generationKey,
    arm: item.armLabel,
    method: item.arm.method,
    seed: item.seed,
    emotion: item.emotion,
    valence: item.valence,
    skeletonId: item.skeletonId,
    theme: item.theme,
    promptKind: item.promptKind,
    settings: { arm: item.arm, decoding: item.decoding },
    ...fields,
    judge,
    verdict,
  };
}

/** Returns the plan's records (from the log and from this call), in plan order. */
export async function generateAndJudge(plan: readonly PlanItem[], options: GenerateAndJudgeOptions): Promise<GenerationRecord[]> {
  const { judge, log } = options;
  const batchSize = options.batchSize ?? 16;
  let done = 0;
  const progress = (count: number): void => {
    done += count;
    options.onProgress?.(done, plan.length);
  };

  // Texts already generated, by generation key (any judge).
  const logged = new Map<string, TextFields>();
  for (const r of log.records()) {
    logged.set(r.generationKey, { prompt: r.prompt, text: r.text, newTokens: r.newTokens, stopReason: r.stopReason, nll: r.nll, nllTokens: r.nllTokens });
  }
  const pending = plan.filter((item) => log.get(item.key)?.judge !== judge.name);
  progress(plan.length - pending.length);

  const judgeAndAppend = async (items: readonly PlanItem[], texts: ReadonlyMap<string, TextFields>): Promise<void> => {
    const verdicts = await judge.judge(items.map((item) => ({ text: texts.get(item.generationKey)!.text, target: item.emotion })), { signal: options.signal });
    log.append(items.map((item, i) => record(item, texts.get(item.generationKey)!, judge.name, verdicts[i])));
    progress(items.length);
  };

  // 1. Logged texts that only need this judge.
  const judgeOnly = pending.filter((item) => logged.has(item.generationKey));
  for (let i = 0; i < judgeOnly.length; i += 256) await judgeAndAppend(judgeOnly.slice(i, i + 256), logged);

  // 2. New texts: one per generation key, batched by decoding setting.
  const toGenerate = pending.filter((item) => !logged.has(item.generationKey));
  const itemsByGeneration = new Map<string, PlanItem[]>();
  for (const item of toGenerate) {
    const list = itemsByGeneration.get(item.generationKey);
    if (list) list.push(item);
    else itemsByGeneration.set(item.generationKey, [item]);
  }
  const byDecoding = new Map<string, PlanItem[][]>();
  for (const items of itemsByGeneration.values()) {
    const decodingKey = hashJson(items[0].decoding);
    const groups = byDecoding.get(decodingKey);
    if (groups) groups.push(items);
    else byDecoding.set(decodingKey, [items]);
  }
  if (toGenerate.length === 0) return plan.map((item) => log.get(item.key)!);
  const model = typeof options.model === 'function' ? await options.model() : options.model;
  const hookCache = new Map<string, Hook[]>();
  const hooksOf = (item: PlanItem): Hook[] => {
    const cacheKey = `${item.generationKey.split('|')[0]}|${item.seed}|${item.emotion}`;
    let hooks = hookCache.get(cacheKey);
    if (!hooks) {
      hooks = compileInterventions(armInterventions(item.arm, item.emotion, options.resources, item.seed), model.config);
      hookCache.set(cacheKey, hooks);
    }
    return hooks;
  };
  for (const groups of byDecoding.values()) {
    for (let start = 0; start < groups.length; start += batchSize) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const batch = groups.slice(start, start + batchSize);
      const heads = batch.map((items) => items[0]);
      const generations = await model.generateAsync(
        heads.map((item) => item.promptIds),
        { ...generationOptions(heads[0].decoding), hooks: perSequenceHooks(heads.map(hooksOf)), signal: options.signal },
      );
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted'); // never log a cut-off text
      const likelihoods = textLikelihoods(model, generations);
      const texts = new Map<string, TextFields>();
      heads.forEach((item, i) => {
        const g = generations[i];
        texts.set(item.generationKey, {
          prompt: model.decode(item.promptIds),
          text: model.decode(g.ids),
          newTokens: g.ids.length,
          stopReason: g.stopReason,
          nll: likelihoods[i].nll,
          nllTokens: likelihoods[i].tokens,
        });
      });
      await judgeAndAppend(batch.flat(), texts);
    }
  }
  return plan.map((item) => log.get(item.key)!);
}
