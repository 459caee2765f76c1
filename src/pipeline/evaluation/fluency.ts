/**
 * Fluency of generated text, which the paper did not measure (DESIGN.md §3 step 10): perplexity
 * under the unsteered model, distinct-n over words, the share of repeated word 3-grams within a
 * text, and the share of outputs that hit the token limit. (Token 3-gram repeats are zero by
 * construction under the decoding's 3-gram ban, so repeats are counted over words.)
 */
import type { ModelRuntime } from '../../model/forward.js';
import { forward } from '../../model/forward.js';
import { KVCache } from '../../model/kvCache.js';

/** Lower-cased words: runs of letters and digits, with inner apostrophes ("don't"). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
}

function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  return out;
}

/** Distinct n-grams over all texts ÷ all n-grams (n-grams never cross texts); null when there are none. */
export function distinctN(texts: readonly string[], n: number): number | null {
  const all = texts.flatMap((t) => ngrams(words(t), n));
  return all.length === 0 ? null : new Set(all).size / all.length;
}

/** Share of a text's word n-grams that repeat an earlier one of the same text; null when it has none. */
export function repeatedNgramShare(text: string, n: number): number | null {
  const grams = ngrams(words(text), n);
  if (grams.length === 0) return null;
  const seen = new Set<string>();
  let repeats = 0;
  for (const g of grams) {
    if (seen.has(g)) repeats++;
    seen.add(g);
  }
  return repeats / grams.length;
}

/** Negative log-likelihood (nats) of each text's tokens given its prompt, under `model` without hooks. */
export interface TextLikelihood {
  readonly nll: number;
  readonly tokens: number;
}

/**
 * Σ −log p(token | prefix) over the new tokens of each (prompt, ids) pair. The prompt (but its last
 * token) goes through a KV cache without logits; only the N rows that predict the new tokens get
 * logits. Sequences are batched so that at most `maxLogitFloats` logits are held at once.
 */
export function textLikelihoods(model: ModelRuntime, texts: ReadonlyArray<{ promptIds: readonly number[]; ids: readonly number[] }>, maxLogitFloats = 1 << 26): TextLikelihood[] {
  const { config } = model;
  const V = config.vocabSize;
  const kvWidth = config.numKvHeads * config.headDim;
  const results: TextLikelihood[] = new Array(texts.length);
  let start = 0;
  while (start < texts.length) {
    let end = start;
    let rows = 0;
    while (end < texts.length && (end === start || (rows + texts[end].ids.length) * V <= maxLogitFloats)) {
      rows += texts[end].ids.length;
      end++;
    }
    const pending: number[] = [];
    for (let i = start; i < end; i++) {
      if (texts[i].ids.length === 0) results[i] = { nll: 0, tokens: 0 };
      else pending.push(i);
    }
    const caches = pending.map((i) => new KVCache(config.numLayers, kvWidth, texts[i].promptIds.length + texts[i].ids.length));
    const withContext = pending.map((i, k) => k).filter((k) => texts[pending[k]].promptIds.length > 1);
    if (withContext.length > 0) forward(model, withContext.map((k) => ({ ids: texts[pending[k]].promptIds.slice(0, -1), cache: caches[k] })), { logits: 'none' });
    // Row j of each output predicts ids[j]: the inputs are the last prompt token and ids[0 … N−2].
    const outputs = pending.length > 0
      ? forward(model, pending.map((i, k) => ({ ids: [texts[i].promptIds[texts[i].promptIds.length - 1], ...texts[i].ids.slice(0, -1)], cache: caches[k] })), { logits: 'all' })
      : [];
    outputs.forEach((output, k) => {
      const i = pending[k];
      const logits = output.logits!.data; // [N, V]
      let nll = 0;
      texts[i].ids.forEach((id, j) => {
        const row = j * V;
        let max = -Infinity;
        for (let v = 0; v < V; v++) if (logits[row + v] > max) max = logits[row + v];
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
        nll += max + Math.log(sum) - logits[row + id];
      });
      results[i] = { nll, tokens: texts[i].ids.length };
    });
    start = end;
  }
  return results;
}

/** exp(Σ nll / Σ tokens); null without tokens. */
export function perplexity(likelihoods: readonly TextLikelihood[]): number | null {
  const tokens = likelihoods.reduce((n, l) => n + l.tokens, 0);
  return tokens === 0 ? null : Math.exp(likelihoods.reduce((s, l) => s + l.nll, 0) / tokens);
}

export interface FluencySummary {
  readonly texts: number;
  /** Per-token perplexity of the texts under the unsteered model, given each text's own prompt. */
  readonly perplexity: number | null;
  /** Mean over texts of each text's distinct-n (per text, so arms with more texts stay comparable). */
  readonly distinct1: number | null;
  readonly distinct2: number | null;
  /** Mean over texts of the share of word 3-grams that repeat an earlier one in the same text. */
  readonly repeatedWord3gramShare: number | null;
  /** Share of texts that stopped at the new-token limit. */
  readonly hitTokenLimitShare: number | null;
  readonly meanNewTokens: number | null;
}

export function fluencySummary(generations: ReadonlyArray<{ text: string; newTokens: number; stopReason: string; nll: number; nllTokens: number }>): FluencySummary {
  const n = generations.length;
  const meanOverTexts = (metric: (text: string) => number | null): number | null => {
    const values = generations.map((g) => metric(g.text)).filter((x): x is number => x !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return {
    texts: n,
    perplexity: perplexity(generations.map((g) => ({ nll: g.nll, tokens: g.nllTokens }))),
    distinct1: meanOverTexts((text) => distinctN([text], 1)),
    distinct2: meanOverTexts((text) => distinctN([text], 2)),
    repeatedWord3gramShare: meanOverTexts((text) => repeatedNgramShare(text, 3)),
    hitTokenLimitShare: n === 0 ? null : generations.filter((g) => g.stopReason === 'length').length / n,
    meanNewTokens: n === 0 ? null : generations.reduce((s, g) => s + g.newTokens, 0) / n,
  };
}
