/**
 * Everything the corpus is built from, and its split into a training part and a held-out part.
 *
 * The held-out part gets its own scenario setups (one per theme), its own objects (a quarter of
 * every object list) and its own event wordings (a quarter of every outcome list with three or more
 * entries), none of which the training part ever uses. Held-out prompts therefore combine a setup,
 * an object and an event the model has never read, so a model that memorised events instead of
 * reading them fails there. The split depends only on `splitSeed`, never on the sampling seed.
 */
import { VALENCES, type Valence } from '../../emotions.js';
import { seededRandom, shuffleInPlace } from '../../random.js';
import { MATCH, RESULT, SOMEONE, VERDICT } from './eventsPeople.js';
import { ANIMAL, BILL, CHECKUP, DELIVERY, FIXTURE, MEAL, PLAN, WEATHER } from './eventsThings.js';
import { FAMILY, FRIENDS, HEALTH, MONEY, SCHOOL, TRAVEL, WORK } from './themesDaily.js';
import { FOOD, HOBBIES, HOME, PETS, SPORT, WEATHER_THEME } from './themesLeisure.js';
import type { EventCategory, ReplyEmotion, Setup, Theme } from './types.js';

export const THEMES: readonly Theme[] = [WORK, SCHOOL, FAMILY, TRAVEL, HEALTH, FRIENDS, MONEY, HOME, HOBBIES, WEATHER_THEME, PETS, SPORT, FOOD];

export const CATEGORIES: ReadonlyMap<string, EventCategory> = new Map(
  [VERDICT, SOMEONE, RESULT, MATCH, DELIVERY, PLAN, BILL, CHECKUP, ANIMAL, WEATHER, MEAL, FIXTURE].map((c) => [c.name, c]),
);

/** Slots every theme may use (theme slots of the same name win). */
export const GLOBAL_SLOTS: Readonly<Record<string, readonly string[]>> = {
  time: ['this morning', 'on Monday', 'last night', 'after lunch', 'on Friday', 'yesterday', 'at the weekend', 'earlier today', 'this afternoon', 'on Tuesday'],
  later: ['today', 'this afternoon', 'an hour ago', 'just now', 'after a long wait', 'at noon', 'before lunch', 'this evening'],
  effort: ['the whole weekend', 'three evenings', 'most of Sunday', 'two long days', 'a whole week', 'a month of lunch breaks'],
  weekday: ['Saturday', 'Sunday', 'the first of June', 'the last Friday of May', 'next Sunday'],
};

/**
 * Words that may open an event, shared by its three valences (so they carry no valence): they
 * vary the surface form without changing what happened.
 */
export const EVENT_LEADS: readonly string[] = ['', '', '', 'In the end, ', 'Later that day, ', 'After a short wait, ', 'By the evening, '];

/**
 * Clauses that may follow an outcome and share its valence ("…, so I lost a whole day of work").
 * Used for all three events of a scenario or for none (so the events still differ only in
 * valence); they put valence cues in words that are not tied to any category, and they multiply the
 * distinct event wordings. A quarter of each list is held out, like the outcomes.
 */
export const CONSEQUENCES: Readonly<Record<Valence, readonly string[]>> = {
  positive: [
    'so I saved a good amount of money',
    'so the rest of my week got much easier',
    'and it cost me nothing at all',
    'so I finally have one less thing to chase',
    'and everyone praised how it turned out',
    'so I can take the whole weekend off',
    'and the whole family wants to go out for dinner',
    'so my plans for the month are now secure',
    'and I got a small reward on top',
    'so I have more time for my own projects',
    'which put me ahead of everyone else',
    'which solved a problem I had for months',
  ],
  neutral: [
    'so nothing changes for now',
    'and I went back to my usual tasks',
    'as it does every month',
    'and I wrote the date in my diary',
    'so the plan stays the same',
    'and the rest of the day went on as normal',
    'which is how it usually goes',
    'and I put the paperwork in a drawer',
    'so I will look at it again next week',
    'which took about as long as I thought',
    'so I made a cup of tea and carried on',
  ],
  negative: [
    'so I lost a whole day of work',
    'and nobody will take responsibility',
    'so I have to start again from scratch',
    'and fixing it will cost me a fortune',
    'so my plans for the month fell apart',
    'and it kept me awake all night',
    'which left me with nothing',
    'so I had to cancel everything else',
    'and there is no way to undo it',
    'which put me behind everyone else',
    'so I now owe money I do not have',
    'and things are likely to get worse',
  ],
};

/** Share of scenarios whose events carry a consequence clause. */
export const CONSEQUENCE_SHARE = 0.35;

/** One outcome: the predicate text and the emotion an uninstructed reply to it takes. */
export interface Outcome {
  text: string;
  emotion: ReplyEmotion;
}

export interface ThemePart {
  theme: Theme;
  setups: Setup[];
  objects: Record<string, string[]>;
}

/** The training or the held-out part of the catalogue. */
export interface CatalogPart {
  themes: ThemePart[];
  /** Outcomes per category and valence. */
  outcomes: Map<string, Record<Valence, Outcome[]>>;
  /** Consequence clauses per valence. */
  consequences: Record<Valence, string[]>;
}

export interface CatalogSplit {
  train: CatalogPart;
  heldout: CatalogPart;
}

/** Splits `list` into [kept, heldOut]: `heldOut` has `count` entries picked by `random`. */
function holdOut<T>(list: readonly T[], count: number, random: () => number): [T[], T[]] {
  const picked = new Set(shuffleInPlace([...list.keys()], random).slice(0, count));
  return [list.filter((_, i) => !picked.has(i)), list.filter((_, i) => picked.has(i))];
}

/** How many entries of a list of `n` are held out. */
const heldOutCount = (n: number): number => (n >= 3 ? Math.max(1, Math.floor(n / 4)) : 0);

function outcomeLists(category: EventCategory): Record<Valence, Outcome[][]> {
  const withEmotion = (group: Partial<Record<string, string[]>>): Outcome[][] =>
    Object.entries(group).map(([emotion, texts]) => (texts ?? []).map((text) => ({ text, emotion: emotion as ReplyEmotion })));
  return {
    positive: withEmotion(category.positive),
    neutral: [category.neutral.map((text) => ({ text, emotion: 'calm' as const }))],
    negative: withEmotion(category.negative),
  };
}

/**
 * The catalogue split into its training and held-out parts (deterministic in `splitSeed`).
 * Every theme keeps at least three training setups; every category keeps training outcomes of each
 * valence and has held-out outcomes of each valence.
 */
export function splitCatalog(splitSeed = 0): CatalogSplit {
  const random = seededRandom(splitSeed ^ 0x5eed);
  const train: CatalogPart = { themes: [], outcomes: new Map(), consequences: { positive: [], neutral: [], negative: [] } };
  const heldout: CatalogPart = { themes: [], outcomes: new Map(), consequences: { positive: [], neutral: [], negative: [] } };
  for (const theme of THEMES) {
    const [trainSetups, heldSetups] = holdOut(theme.setups, Math.max(1, Math.floor(theme.setups.length / 4)), random);
    const trainObjects: Record<string, string[]> = {};
    const heldObjects: Record<string, string[]> = {};
    for (const [name, list] of Object.entries(theme.objects)) {
      [trainObjects[name], heldObjects[name]] = holdOut(list, Math.max(1, Math.floor(list.length / 4)), random);
    }
    train.themes.push({ theme, setups: trainSetups, objects: trainObjects });
    heldout.themes.push({ theme, setups: heldSetups, objects: heldObjects });
  }
  for (const [name, category] of CATEGORIES) {
    const lists = outcomeLists(category);
    const trainOutcomes = {} as Record<Valence, Outcome[]>;
    const heldOutcomes = {} as Record<Valence, Outcome[]>;
    for (const valence of VALENCES) {
      trainOutcomes[valence] = [];
      heldOutcomes[valence] = [];
      for (const list of lists[valence]) {
        const [kept, held] = holdOut(list, heldOutCount(list.length), random);
        trainOutcomes[valence].push(...kept);
        heldOutcomes[valence].push(...held);
      }
    }
    train.outcomes.set(name, trainOutcomes);
    heldout.outcomes.set(name, heldOutcomes);
  }
  for (const valence of VALENCES) {
    const list = CONSEQUENCES[valence];
    [train.consequences[valence], heldout.consequences[valence]] = holdOut(list, heldOutCount(list.length), random);
  }
  return { train, heldout };
}
