/**
 * Byte-level pre-tokenization, as the `ByteLevel` pre-tokenizer and decoder of Hugging Face
 * tokenizers define it: text is split into word-like pieces, each piece's UTF-8 bytes are written
 * as printable characters (one character per byte), and BPE merges work on those characters. Any
 * text, unicode included, maps to symbols in a 256-byte base alphabet, so nothing is ever unknown.
 *
 * Our BPE trainer must split text exactly as the loader (`@huggingface/tokenizers`, and the Rust
 * library) will, or the learnt merges would not apply at encode time; the tests check that the
 * loaded tokenizer reproduces our own segmentation.
 */

/**
 * The word splitter of the byte-level pre-tokenizer with `use_regex: true` (the GPT-2 rule):
 * English contractions, an optional space followed by letters, or digits, or other symbols, then
 * runs of whitespace (a run before a word leaves its last space to that word).
 */
export const BYTE_LEVEL_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * The byte → character table: bytes that are printable Latin-1 characters stand for themselves;
 * the other 68 bytes (controls, space, 0x7F–0xA0, 0xAD) take the characters 256, 257, … in byte
 * order, so every symbol is visible and none is whitespace.
 */
function buildByteTable(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** BYTE_TO_CHAR[b]: the character that stands for byte b. [256] */
export const BYTE_TO_CHAR: readonly string[] = buildByteTable();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The byte characters of `piece`'s UTF-8 encoding. */
export function toByteChars(piece: string): string {
  let out = '';
  for (const b of utf8.encode(piece)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Inverse of {@link toByteChars} (invalid UTF-8 becomes U+FFFD, as the HF decoder does). */
export function fromByteChars(chars: string): string {
  const bytes: number[] = [];
  for (const c of chars) {
    const b = CHAR_TO_BYTE.get(c);
    if (b === undefined) throw new Error(`character ${JSON.stringify(c)} is not a byte-level symbol`);
    bytes.push(b);
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

/** Splits `text` into pre-tokenized words, each written in byte characters. */
export function preTokenize(text: string): string[] {
  return (text.match(BYTE_LEVEL_SPLIT) ?? []).map(toByteChars);
}
