/**
 * Text ⇄ token ids for a local Hugging Face model folder, through `@huggingface/tokenizers`
 * (tokenizer.json + tokenizer_config.json), plus the model's chat template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EmotionCircuitsError } from '../errors.js';
import { PLAIN_CHAT_TEMPLATE, renderChat, type ChatMessage } from './chatTemplate.js';

type Json = Record<string, unknown>;

function tokenizerError(where: string, message: string): EmotionCircuitsError {
  return new EmotionCircuitsError('TOKENIZER', message, where);
}

function readJson(file: string, required: boolean): Json | null {
  if (!fs.existsSync(file)) {
    if (required) throw tokenizerError(file, 'file not found');
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw tokenizerError(file, `cannot read as JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw tokenizerError(file, 'expected a JSON object');
  return json as Json;
}

/** A special-token entry of tokenizer_config.json: a string or `{content: string}`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return null;
}

/**
 * The chat template: `chat_template.jinja` beside the config (newer HF layout), else
 * tokenizer_config.json `chat_template` (a string, or a list of `{name, template}` whose "default"
 * entry is used). Null when the model has none.
 */
function findChatTemplate(dir: string, config: Json): string | null {
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  if (fs.existsSync(jinjaFile)) return fs.readFileSync(jinjaFile, 'utf8');
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const entry = t.find((e: unknown) => typeof e === 'object' && e !== null && (e as Json).name === 'default') as Json | undefined;
    if (entry && typeof entry.template === 'string') return entry.template;
  }
  return null;
}

export interface EncodeOptions {
  /** Apply the tokenizer's post-processor (e.g. prepend BOS). Default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, …) from the text. Default true. */
  skipSpecialTokens?: boolean;
}

/** Result of applying a chat template. */
export interface ChatPrompt {
  text: string;
  /** 'model': the model's own chat_template; 'plain': PLAIN_CHAT_TEMPLATE for base models. */
  templateKind: 'model' | 'plain';
  /**
   * How to encode `text`: model templates write their special tokens (BOS) themselves, so encode
   * with false, as HF apply_chat_template does; the plain template relies on the tokenizer's BOS.
   */
  addSpecialTokens: boolean;
}

/**
 * A loaded tokenizer.
 *
 * @example
 * const tok = TextTokenizer.load('models/tinystories-656k');
 * tok.encode('Once upon a time'); // [1, ...] (BOS first)
 */
export class TextTokenizer {
  readonly bosTokenId: number | null;
  /** EOS ids from tokenizer_config.json and generation_config.json (Llama 3 lists several). */
  readonly eosTokenIds: number[];
  /** Largest token id + 1, added tokens included. */
  readonly vocabSize: number;
  /** The model's own chat template, or null for a base model without one. */
  readonly chatTemplate: string | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  private readonly tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, config: Json, generation: Json | null, chatTemplate: string | null) {
    this.tokenizer = tokenizer;
    this.chatTemplate = chatTemplate;
    this.bosToken = tokenContent(config.bos_token);
    this.eosToken = tokenContent(config.eos_token);
    this.bosTokenId = this.bosToken === null ? null : tokenizer.token_to_id(this.bosToken) ?? null;
    const eos = new Set<number>();
    const eosId = this.eosToken === null ? undefined : tokenizer.token_to_id(this.eosToken);
    if (eosId !== undefined) eos.add(eosId);
    const genEos = generation?.eos_token_id;
    for (const id of Array.isArray(genEos) ? genEos : [genEos]) {
      if (typeof id === 'number' && Number.isInteger(id)) eos.add(id);
    }
    this.eosTokenIds = [...eos];
    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
  }

  /** Loads `dir/tokenizer.json`, `dir/tokenizer_config.json` (optional) and the chat template. */
  static load(dir: string): TextTokenizer {
    const tokenizerFile = path.join(dir, 'tokenizer.json');
    const tokenizerJson = readJson(tokenizerFile, true)!;
    const config = readJson(path.join(dir, 'tokenizer_config.json'), false) ?? {};
    const generation = readJson(path.join(dir, 'generation_config.json'), false);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (err) {
      throw tokenizerError(tokenizerFile, `cannot build the tokenizer: ${(err as Error).message}`);
    }
    return new TextTokenizer(tokenizer, config, generation, findChatTemplate(dir, config));
  }

  /** Token ids of `text`; with addSpecialTokens (default) the post-processor adds BOS etc. */
  encode(text: string, { addSpecialTokens = true }: EncodeOptions = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** Text of `ids`; special tokens are skipped by default. */
  decode(ids: readonly number[], { skipSpecialTokens = true }: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw tokenizerError('decode', `token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  /** The id of a token string, or null when the vocabulary has no such token. */
  tokenToId(token: string): number | null {
    return this.tokenizer.token_to_id(token) ?? null;
  }

  /** The token string of an id, or null when out of range. */
  idToToken(id: number): string | null {
    return this.tokenizer.id_to_token(id) ?? null;
  }

  /**
   * Renders `messages` with the model's chat template, or PLAIN_CHAT_TEMPLATE when it has none.
   * Encode the result with `encode(p.text, { addSpecialTokens: p.addSpecialTokens })`.
   */
  applyChatTemplate(messages: ChatMessage[], { addGenerationPrompt }: { addGenerationPrompt: boolean }): ChatPrompt {
    const kind = this.chatTemplate === null ? 'plain' : 'model';
    const text = renderChat(this.chatTemplate ?? PLAIN_CHAT_TEMPLATE, messages, {
      addGenerationPrompt,
      bosToken: this.bosToken ?? undefined,
      eosToken: this.eosToken ?? undefined,
    });
    return { text, templateKind: kind, addSpecialTokens: kind === 'plain' };
  }
}
