/**
 * A byte-level BPE tokenizer trainer, written for this project: learns merges on a corpus and
 * writes a Hugging Face `tokenizer.json` (ByteLevel pre-tokenizer and decoder, BPE model, special
 * tokens as added tokens, BOS through a TemplateProcessing post-processor) that
 * `@huggingface/tokenizers` and the Rust `tokenizers` load.
 *
 * Algorithm (Sennrich et al.'s BPE on pre-tokenized words): count the distinct byte-level words of
 * the corpus; repeatedly merge the most frequent adjacent symbol pair (ties: the pair whose two
 * symbols come first in code-unit order), until the vocabulary reaches its size or no pair occurs
 * twice. Pair counts are kept up to date incrementally, touching only the words that contain the
 * merged pair.
 */
import { BYTE_LEVEL_SPLIT, BYTE_TO_CHAR, toByteChars } from './byteLevel.js';

export interface BpeTrainOptions {
  /** Total vocabulary: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** Special tokens, given ids 0, 1, … in this order; never split, never produced by merges. */
  specialTokens: readonly string[];
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
}

/** A trained byte-level BPE model. */
export interface BpeModel {
  specialTokens: readonly string[];
  /** token (in byte characters) → id; special tokens first, then the 256 bytes, then merges. */
  vocab: Map<string, number>;
  /** Merges in the order learnt (rank 0 first). */
  merges: [string, string][];
}

/** A pair key: symbols never contain a plain space (the space byte is written as "Ġ"). */
const pairKey = (a: string, b: string): string => `${a} ${b}`;

interface Word {
  symbols: string[];
  count: number;
}

/** Counts the distinct pre-tokenized words of `texts`. */
function countWords(texts: Iterable<string>): Word[] {
  // Count the raw pieces first and convert each distinct piece to byte characters once.
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const [piece] of text.matchAll(BYTE_LEVEL_SPLIT)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
  const words = [...counts.entries()].map(([piece, count]) => ({ word: toByteChars(piece), count }));
  // Sorted, so the result never depends on the order of the corpus.
  return words.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0)).map(({ word, count }) => ({ symbols: [...word], count }));
}

/**
 * Learns byte-level BPE merges on `texts`. Deterministic: the same texts (in any order) give the
 * same model.
 *
 * @example
 * const model = trainBpe(['the cat sat', 'the hat'], { vocabSize: 300, specialTokens: ['<|end|>'] });
 * model.vocab.get('Ġthe'); // an id ≥ 257
 */
export function trainBpe(texts: Iterable<string>, options: BpeTrainOptions): BpeModel {
  const { vocabSize, specialTokens } = options;
  const minFrequency = options.minFrequency ?? 2;
  const base = specialTokens.length + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < base) {
    throw new RangeError(`vocabSize must be an integer ≥ ${base} (special tokens + 256 bytes), got ${vocabSize}`);
  }
  const vocab = new Map<string, number>();
  for (const token of specialTokens) {
    if (vocab.has(token)) throw new RangeError(`special token ${JSON.stringify(token)} is listed twice`);
    vocab.set(token, vocab.size);
  }
  for (const c of BYTE_TO_CHAR) vocab.set(c, vocab.size);

  const words = countWords(texts);
  const pairCounts = new Map<string, number>();
  const wordsWithPair = new Map<string, Set<number>>();
  const addPairs = (index: number, sign: 1 | -1): void => {
    const { symbols, count } = words[index];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i], symbols[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let set = wordsWithPair.get(key);
        if (!set) wordsWithPair.set(key, (set = new Set()));
        set.add(index);
      }
    }
  };
  words.forEach((_, i) => addPairs(i, 1));

  const merges: [string, string][] = [];
  while (vocab.size < vocabSize) {
    let bestKey: string | null = null;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && count > 0 && bestKey !== null && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey === null || bestCount < minFrequency) break;
    const [a, b] = bestKey.split(' ') as [string, string];
    const merged = a + b;
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const index of wordsWithPair.get(bestKey) ?? []) {
      const word = words[index];
      addPairs(index, -1);
      const out: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === a && word.symbols[i + 1] === b) {
          out.push(merged);
          i++;
        } else {
          out.push(word.symbols[i]);
        }
      }
      word.symbols = out;
      addPairs(index, 1);
    }
    wordsWithPair.delete(bestKey);
    pairCounts.delete(bestKey);
    for (const [key, count] of pairCounts) if (count === 0) pairCounts.delete(key);
  }
  return { specialTokens, vocab, merges };
}

/**
 * Applies `model`'s merges to one pre-tokenized word, lowest rank first (how BPE encodes): a
 * reference used by tests and by the dataset builder's sanity checks.
 */
export function applyMerges(model: BpeModel, word: string): string[] {
  const rank = new Map(model.merges.map(([a, b], i) => [pairKey(a, b), i]));
  let symbols = [...word];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = rank.get(pairKey(symbols[i], symbols[i + 1]));
      if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
    }
    if (best < 0) return symbols;
    const [a, b] = [symbols[best], symbols[best + 1]];
    const out: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
        out.push(a + b);
        i++;
      } else out.push(symbols[i]);
    }
    symbols = out;
  }
}

export interface TokenizerJsonOptions {
  /** Prepended by the post-processor when encoding with special tokens (plain `encode(text)`). */
  bosToken: string | null;
}

/**
 * The `tokenizer.json` object of `model` (tokenizers format version 1.0). The pre-tokenizer does
 * not add a prefix space, so text decodes back to exactly what was encoded.
 */
export function tokenizerJson(model: BpeModel, { bosToken }: TokenizerJsonOptions): Record<string, unknown> {
  if (bosToken !== null && !model.specialTokens.includes(bosToken)) {
    throw new RangeError(`bosToken ${JSON.stringify(bosToken)} is not one of the special tokens`);
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const single: unknown[] = [{ Sequence: { id: 'A', type_id: 0 } }];
  const pair: unknown[] = [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }];
  const specialTokensMap: Record<string, unknown> = {};
  if (bosToken !== null) {
    single.unshift({ SpecialToken: { id: bosToken, type_id: 0 } });
    pair.unshift({ SpecialToken: { id: bosToken, type_id: 0 } });
    specialTokensMap[bosToken] = { id: bosToken, ids: [model.vocab.get(bosToken)], tokens: [bosToken] };
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: model.specialTokens.map((content) => ({
      id: model.vocab.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { type: 'TemplateProcessing', single, pair, special_tokens: specialTokensMap },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(model.vocab),
      merges: model.merges.map(([a, b]) => [a, b]),
    },
  };
}
