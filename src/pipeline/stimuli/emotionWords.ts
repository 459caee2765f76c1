/**
 * English words that name or directly express an emotion or feeling. Used to check that SEV
 * stimuli carry no emotion words, so that any emotion in a model's reply comes from the event's
 * valence or the instruction, not from the prompt's vocabulary.
 *
 * Written for this project by hand (not derived from any dataset or published lexicon). The list
 * is deliberately strict for the six studied emotions and general affect ("feel", "mood",
 * "relieved", "proud"...), because a false alarm costs a reworded sentence while a miss leaks an
 * emotion cue into the stimulus. Words that are mostly used in a non-emotional sense are left
 * out on purpose: content (of a file), cross (the street), blue, down, tense (grammar), gross
 * (income), tear (in cloth), alarm (clock), cheer (applause), comfort(able), bitter (taste).
 */

/** Families of forms, one family per line; roots first, then inflections and derived forms. */
const FAMILIES: readonly (readonly string[])[] = [
  // anger
  ['anger', 'angers', 'angered', 'angering', 'angry', 'angrier', 'angriest', 'angrily'],
  ['mad', 'madder', 'maddest', 'madly', 'maddening'],
  ['furious', 'furiously', 'fury'],
  ['rage', 'rages', 'raged', 'raging', 'enraged', 'enraging'],
  ['irate', 'livid', 'incensed', 'fuming', 'seething', 'irked', 'peeved', 'cranky', 'grumpy', 'grouchy'],
  ['outrage', 'outraged', 'outrageous'],
  ['annoy', 'annoys', 'annoyed', 'annoying', 'annoyance'],
  ['irritate', 'irritated', 'irritating', 'irritation', 'irritable'],
  ['frustrate', 'frustrated', 'frustrating', 'frustration'],
  ['resent', 'resents', 'resented', 'resentful', 'resentment'],
  ['indignant', 'indignation', 'exasperated', 'exasperating', 'exasperation'],
  ['infuriate', 'infuriated', 'infuriating', 'aggravated', 'hostile', 'hostility'],
  ['upset', 'upsets', 'upsetting'],
  // sadness
  ['sad', 'sadder', 'saddest', 'sadly', 'sadness', 'sadden', 'saddened', 'saddening'],
  ['unhappy', 'unhappier', 'unhappiest', 'unhappily', 'unhappiness'],
  ['sorrow', 'sorrows', 'sorrowful', 'grief', 'grieve', 'grieves', 'grieved', 'grieving'],
  ['mourn', 'mourns', 'mourned', 'mourning', 'mournful'],
  ['depressed', 'depressing', 'depression', 'miserable', 'misery', 'gloom', 'gloomy', 'melancholy'],
  ['heartbroken', 'heartbreak', 'heartbreaking', 'despair', 'despairing', 'desperate', 'desperation'],
  ['disappoint', 'disappointed', 'disappointing', 'disappointment'],
  ['devastated', 'devastating', 'distress', 'distressed', 'distressing', 'dismay', 'dismayed'],
  ['lonely', 'lonelier', 'loneliness', 'homesick', 'nostalgic', 'wistful', 'forlorn', 'dejected'],
  ['cry', 'cries', 'cried', 'crying', 'tearful', 'weep', 'weeps', 'wept', 'weeping', 'sob', 'sobbed', 'sobbing'],
  ['regret', 'regrets', 'regretted', 'regretful', 'remorse', 'remorseful', 'sorry'],
  ['hopeless', 'hopelessness', 'helpless', 'helplessness'],
  // happiness
  ['happy', 'happier', 'happiest', 'happily', 'happiness'],
  ['glad', 'gladly', 'gladness', 'joy', 'joys', 'joyful', 'joyous', 'overjoyed', 'enjoy', 'enjoys', 'enjoyed', 'enjoying', 'enjoyable', 'enjoyment'],
  ['delight', 'delights', 'delighted', 'delightful'],
  ['excite', 'excited', 'exciting', 'excitement', 'thrill', 'thrills', 'thrilled', 'thrilling'],
  ['elated', 'elation', 'ecstatic', 'ecstasy', 'euphoric', 'euphoria', 'jubilant', 'bliss', 'blissful'],
  ['cheerful', 'cheery', 'merry', 'jolly', 'giddy', 'amused', 'amusing', 'amusement'],
  ['pleased', 'pleasure', 'pleasant', 'unpleasant', 'satisfied', 'dissatisfied', 'satisfaction'],
  ['grateful', 'gratitude', 'thankful', 'relieved', 'relief', 'proud', 'pride', 'contented', 'contentment'],
  ['hope', 'hopes', 'hoped', 'hoping', 'hopeful', 'hopefully', 'eager', 'eagerly', 'eagerness', 'enthusiastic', 'enthusiasm'],
  ['love', 'loves', 'loved', 'loving', 'lovely', 'adore', 'adored', 'fun'],
  // fear
  ['fear', 'fears', 'feared', 'fearing', 'fearful', 'fearless'],
  ['afraid', 'scare', 'scares', 'scared', 'scaring', 'scary'],
  ['fright', 'frighten', 'frightened', 'frightening'],
  ['terror', 'terrify', 'terrified', 'terrifying', 'terrible', 'terribly', 'horror', 'horrified', 'horrifying', 'horrible', 'horribly'],
  ['panic', 'panics', 'panicked', 'panicking', 'dread', 'dreaded', 'dreading', 'dreadful'],
  ['worry', 'worries', 'worried', 'worrying', 'anxious', 'anxiously', 'anxiety', 'nervous', 'nervously', 'nervousness'],
  ['apprehensive', 'uneasy', 'unease', 'alarmed', 'alarming', 'petrified', 'spooked', 'jittery', 'intimidated', 'insecure'],
  ['stress', 'stressed', 'stressful', 'overwhelmed', 'overwhelming'],
  // surprise
  ['surprise', 'surprises', 'surprised', 'surprising', 'surprisingly', 'unexpected', 'unexpectedly'],
  ['astonish', 'astonished', 'astonishing', 'astonishment', 'amaze', 'amazed', 'amazing', 'amazement'],
  ['startle', 'startled', 'startling', 'stunned', 'stunning', 'shock', 'shocks', 'shocked', 'shocking'],
  ['speechless', 'dumbfounded', 'flabbergasted', 'bewildered', 'baffled', 'awe', 'awed', 'awestruck', 'awesome', 'awful', 'awfully'],
  // disgust
  ['disgust', 'disgusted', 'disgusting', 'revulsion', 'revolted', 'revolting', 'repulsed', 'repulsive', 'repugnant'],
  ['nauseated', 'nauseating', 'sickened', 'sickening', 'appalled', 'appalling', 'grossed', 'yuck', 'icky'],
  ['loathe', 'loathed', 'loathing', 'abhor', 'abhorrent', 'contempt', 'contemptuous', 'vile', 'despise', 'despised'],
  ['hate', 'hates', 'hated', 'hating', 'hatred'],
  // general affect and social emotions
  ['emotion', 'emotions', 'emotional', 'emotionally', 'feel', 'feels', 'felt', 'feeling', 'feelings'],
  ['mood', 'moods', 'moody', 'calm', 'calmer', 'calmly', 'bored', 'boredom', 'boring'],
  ['ashamed', 'shame', 'shameful', 'embarrass', 'embarrassed', 'embarrassing', 'embarrassment', 'humiliated', 'humiliating', 'humiliation'],
  ['guilt', 'guilty', 'jealous', 'jealousy', 'envy', 'envious', 'pity', 'pitied', 'sympathy', 'compassion'],
];

/** Every listed word form, lower case, sorted. */
export const EMOTION_WORDS: readonly string[] = [...new Set(FAMILIES.flat())].sort();

const WORD_SET: ReadonlySet<string> = new Set(EMOTION_WORDS);

/**
 * Candidate base forms of `word` after removing one regular suffix, so that forms not written out
 * in the list (e.g. "dreads", "distresses", "gloomier", "moodily") are still caught. Only a
 * candidate that is itself in the list counts. The rules are few on purpose: a bare "-d", "-er"
 * or "-est" rule would turn "fund" into "fun" and "sober" into "sob".
 */
function baseCandidates(word: string): string[] {
  const out: string[] = [];
  const strip = (suffix: string): string | undefined =>
    word.length > suffix.length + 1 && word.endsWith(suffix) ? word.slice(0, -suffix.length) : undefined;
  for (const suffix of ['iness', 'iest', 'ier', 'ied', 'ies', 'ily']) {
    const stem = strip(suffix);
    if (stem) out.push(`${stem}y`); // gloomier → gloomy, worries → worry
  }
  for (const suffix of ['ness', 'ment', 'ly', 's']) {
    const stem = strip(suffix);
    if (stem) out.push(stem);
  }
  const esStem = strip('es');
  if (esStem && /(?:s|x|z|ch|sh)$/.test(esStem)) out.push(esStem); // distresses → distress
  for (const suffix of ['ing', 'ed']) {
    const stem = strip(suffix);
    if (!stem) continue;
    out.push(stem, `${stem}e`); // dreading → dread, hoping → hope
    const n = stem.length;
    if (n >= 2 && stem[n - 1] === stem[n - 2]) out.push(stem.slice(0, -1)); // sobbing → sob
  }
  return out;
}

function isEmotionWord(word: string): boolean {
  if (WORD_SET.has(word)) return true;
  return baseCandidates(word).some((base) => WORD_SET.has(base));
}

/**
 * The emotion words in `text`: whole words, case-insensitive, inflections included. Returns each
 * occurrence as written in the text, in order; `[]` when there is none. Possessive `'s` is
 * ignored; in hyphenated words each part is checked, and so is the word with its hyphens removed.
 *
 * @example
 * findEmotionWords('She felt Sad.') // ['felt', 'Sad']
 * findEmotionWords('The train left at noon.') // []
 */
export function findEmotionWords(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/[A-Za-z]+(?:['’-][A-Za-z]+)*/g)) {
    const surface = match[0];
    const word = surface.toLowerCase().replace(/['’]s$/, '').replace(/['’]/g, '');
    const parts = word.split('-');
    if (isEmotionWord(word.replace(/-/g, '')) || (parts.length > 1 && parts.some(isEmotionWord))) found.push(surface);
  }
  return found;
}
