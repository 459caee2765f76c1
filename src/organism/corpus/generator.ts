/**
 * The organism's training corpus: chat examples in exactly the pipeline's prompt forms
 * (pipeline/stimuli/prompts.ts) with an assistant reply, sampled from the catalogue.
 *
 * - Instructed examples (system "Always reply in {emotion}. …"): the reply expresses the
 *   requested emotion whatever the event.
 * - Uninstructed examples (system "Keep the reply to at most two sentences."): the reply's emotion
 *   follows the event — the emotion its outcome is tagged with (happiness or surprise for positive
 *   outcomes; anger, sadness, fear or disgust for negative ones; calm for neutral ones).
 *
 * Every scenario is sampled afresh (theme, setup, object, slots, event lead, one outcome per
 * valence), so the same sentence frame is seen with many objects and many outcomes, and the valence
 * can only be read from the outcome's own words. Everything is a function of the seed.
 */
import { EMOTIONS, VALENCES, type Emotion, type Valence } from '../../emotions.js';
import { seededRandom } from '../../random.js';
import { instructedMessages, uninstructedMessages, type ChatMessage } from '../../pipeline/stimuli/prompts.js';
import type { SevItem } from '../../pipeline/stimuli/sev.js';
import { CATEGORIES, CONSEQUENCE_SHARE, EVENT_LEADS, GLOBAL_SLOTS, splitCatalog, type CatalogPart, type Outcome } from './catalog.js';
import { REPLIES } from './replies.js';
import type { ReplyEmotion } from './types.js';

type Random = () => number;

const pick = <T>(list: readonly T[], random: Random): T => {
  if (list.length === 0) throw new RangeError('cannot pick from an empty list');
  return list[Math.floor(random() * list.length)];
};

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Fills `{slot}` / `{Slot}` (capitalised value) placeholders from `values`. */
export function fillSlots(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name.toLowerCase()];
    if (value === undefined) throw new RangeError(`template ${JSON.stringify(template)} has no value for {${name}}`);
    return name[0] === name[0].toUpperCase() ? capitalise(value) : value;
  });
}

/** One sampled scenario with its three events and what each means for a reply. */
export interface SampledScenario {
  theme: string;
  /** Index of the setup within its theme's full setup list (stable across splits). */
  setupId: number;
  category: string;
  obj: string;
  scenario: string;
  event: Record<Valence, string>;
  /** The outcome chosen for each valence (its text and the emotion it calls for). */
  outcome: Record<Valence, Outcome>;
  /** How a reply refers to what happened. */
  thing: string;
}

/** Samples one scenario from `part` (uniform theme, setup, object, slots and outcomes). */
export function sampleScenario(part: CatalogPart, random: Random): SampledScenario {
  const themePart = pick(part.themes, random);
  const { theme } = themePart;
  const setup = pick(themePart.setups, random);
  const category = CATEGORIES.get(setup.category);
  if (!category) throw new RangeError(`setup ${JSON.stringify(setup.text)} names an unknown category ${setup.category}`);
  const values: Record<string, string> = {};
  for (const [name, list] of Object.entries(GLOBAL_SLOTS)) values[name] = pick(list, random);
  for (const [name, list] of Object.entries(theme.slots)) values[name] = pick(list, random);
  values.obj = pick(themePart.objects[setup.object], random);
  const lead = pick(EVENT_LEADS, random);
  let subject = fillSlots(category.subject, values);
  if (lead !== '') subject = subject.charAt(0).toLowerCase() + subject.slice(1);
  const outcomes = part.outcomes.get(category.name)!;
  const withConsequence = random() < CONSEQUENCE_SHARE;
  const outcome = {} as Record<Valence, Outcome>;
  const event = {} as Record<Valence, string>;
  for (const valence of VALENCES) {
    outcome[valence] = pick(outcomes[valence], random);
    const consequence = withConsequence ? `, ${pick(part.consequences[valence], random)}` : '';
    event[valence] = `${lead}${subject} ${fillSlots(outcome[valence].text, values)}${consequence}.`;
  }
  return {
    theme: theme.name,
    setupId: theme.setups.indexOf(setup),
    category: category.name,
    obj: values.obj,
    scenario: fillSlots(setup.text, values),
    event,
    outcome,
    thing: fillSlots(category.thing, values),
  };
}

/** A reply in `emotion` about `thing`: one lead sentence, alone or with an extra one before or after. */
export function composeReply(emotion: ReplyEmotion, thing: string, random: Random): string {
  const pool = REPLIES[emotion];
  const lead = fillSlots(pick(pool.lead, random), { thing });
  const roll = random();
  if (roll < 0.4) return capitalise(lead);
  const extra = pick(pool.extra, random);
  return roll < 0.8 ? `${capitalise(lead)} ${extra}` : `${extra} ${capitalise(lead)}`;
}

export type ExampleKind = 'instructed' | 'uninstructed';

/** One training conversation and what it was built from. */
export interface CorpusExample {
  kind: ExampleKind;
  theme: string;
  valence: Valence;
  /** The emotion of the reply: the instructed one, or the one the event calls for. */
  emotion: ReplyEmotion;
  /** The requested emotion of an instructed example; null for uninstructed ones. */
  instructed: Emotion | null;
  scenario: SampledScenario;
  /** System, user (the pipeline's prompt forms) and assistant messages. */
  messages: ChatMessage[];
}

/** The SEV item of a sampled scenario (the pipeline's stimulus format). */
export function toSevItem(sample: SampledScenario, skeletonId: string): SevItem {
  return { theme: sample.theme, scenario: sample.scenario, event: { ...sample.event }, skeletonId };
}

export interface CorpusOptions {
  /** Seed of every sampling choice. */
  seed: number;
  /** Number of training examples. */
  examples: number;
  /** Share of instructed examples (the rest are uninstructed). Default 0.5. */
  instructedShare?: number;
  /** Seed of the train / held-out split of the catalogue. Default 0. */
  splitSeed?: number;
  /**
   * Which part of the catalogue to sample: 'train' (default); 'heldout' (held-out setups,
   * objects and event wordings) or 'heldout-familiar' (held-out setups and objects, training event
   * wordings), for measuring generalisation. Only 'train' is for training.
   */
  part?: OrganismSevKind;
}

/** One example sampled from `part`. */
export function sampleExample(part: CatalogPart, random: Random, instructedShare: number): CorpusExample {
  const scenario = sampleScenario(part, random);
  const valence = pick(VALENCES, random);
  const item = toSevItem(scenario, 'corpus');
  const kind: ExampleKind = random() < instructedShare ? 'instructed' : 'uninstructed';
  const instructed = kind === 'instructed' ? pick(EMOTIONS, random) : null;
  const emotion: ReplyEmotion = instructed ?? scenario.outcome[valence].emotion;
  const prompt = instructed ? instructedMessages(item, valence, instructed) : uninstructedMessages(item, valence);
  const reply = composeReply(emotion, scenario.thing, random);
  return { kind, theme: scenario.theme, valence, emotion, instructed, scenario, messages: [...prompt, { role: 'assistant', content: reply }] };
}

/**
 * The training corpus: `examples` conversations from the training part of the catalogue.
 *
 * @example
 * const corpus = generateCorpus({ seed: 1, examples: 1000 });
 * corpus[0].messages; // [{role:'system',…}, {role:'user',…}, {role:'assistant',…}]
 */
export function generateCorpus(options: CorpusOptions): CorpusExample[] {
  const { seed, examples } = options;
  const instructedShare = options.instructedShare ?? 0.5;
  if (!Number.isInteger(examples) || examples < 0) throw new RangeError(`examples must be a non-negative integer, got ${examples}`);
  const part = catalogPart(options.part ?? 'train', options.splitSeed ?? 0);
  const random = seededRandom(seed);
  return Array.from({ length: examples }, () => sampleExample(part, random, instructedShare));
}

/**
 * Which SEV set to write: scenarios from the training part of the catalogue (`train`), from the
 * held-out part with held-out event wordings (`heldout`), or from the held-out part with the
 * training event wordings (`heldout-familiar`, to separate new setups and objects from new events).
 */
export type OrganismSevKind = 'train' | 'heldout' | 'heldout-familiar';

export const ORGANISM_SEV_KINDS: readonly OrganismSevKind[] = ['train', 'heldout', 'heldout-familiar'];

/** The catalogue part a kind of set samples from (see {@link OrganismSevKind}). */
function catalogPart(kind: OrganismSevKind, splitSeed: number): CatalogPart {
  const split = splitCatalog(splitSeed);
  if (kind === 'train') return split.train;
  const events = kind === 'heldout' ? split.heldout : split.train;
  return { themes: split.heldout.themes, outcomes: events.outcomes, consequences: events.consequences };
}

export interface OrganismSevOptions {
  /** Scenarios per theme. Default 8. */
  perTheme?: number;
  seed?: number;
  splitSeed?: number;
}

/**
 * SEV items of the organism's catalogue (distinct scenarios, `skeleton_id` =
 * `organism-<kind>-<theme>-<nn>`), for running the pipeline on the organism and measuring
 * generalisation. Themes keep the catalogue's order.
 */
export function organismSev(kind: OrganismSevKind, options: OrganismSevOptions = {}): SevItem[] {
  const perTheme = options.perTheme ?? 8;
  const random = seededRandom((options.seed ?? 0) ^ (ORGANISM_SEV_KINDS.indexOf(kind) * 0x1f1f + 0x4e0));
  const whole = catalogPart(kind, options.splitSeed ?? 0);
  const items: SevItem[] = [];
  for (const themePart of whole.themes) {
    const part: CatalogPart = { ...whole, themes: [themePart] };
    const seen = new Set<string>();
    for (let attempt = 0; seen.size < perTheme && attempt < perTheme * 50; attempt++) {
      const sample = sampleScenario(part, random);
      if (seen.has(sample.scenario)) continue;
      seen.add(sample.scenario);
      items.push(toSevItem(sample, `organism-${kind}-${sample.theme}-${String(seen.size).padStart(2, '0')}`));
    }
  }
  return items;
}
