/**
 * Chat templates rendered with `@huggingface/jinja`, with the helpers HF templates call
 * (`raise_exception`, `strftime_now`). The date a template reads is pinned, so a prompt never
 * depends on the clock.
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { EmotionCircuitsError } from '../errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface RenderChatOptions {
  /** Append the header that opens the assistant's turn. */
  addGenerationPrompt: boolean;
  bosToken?: string;
  eosToken?: string;
  /** The date `strftime_now` reports (UTC). Default 2026-01-01T00:00:00Z. */
  date?: Date;
}

/** The date used when none is given: fixed, so rendered prompts are reproducible. */
export const DEFAULT_CHAT_DATE = new Date(Date.UTC(2026, 0, 1));

/**
 * Template for base models without a chat template. Each message is one block
 * `"<Role>: <content>\n"` (Role = System, User or Assistant); the generation prompt is
 * `"Assistant:"` with no trailing space, so the model's first token starts the reply. No special
 * tokens are written: encode the result with the tokenizer's own BOS.
 *
 * @example
 * renderChat(PLAIN_CHAT_TEMPLATE, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
 *   { addGenerationPrompt: true }); // "System: Be brief.\nUser: Hi\nAssistant:"
 */
export const PLAIN_CHAT_TEMPLATE =
  "{%- for message in messages %}" +
  "{%- if message['role'] == 'system' %}{%- set label = 'System' %}" +
  "{%- elif message['role'] == 'user' %}{%- set label = 'User' %}" +
  "{%- elif message['role'] == 'assistant' %}{%- set label = 'Assistant' %}" +
  "{%- else %}{{- raise_exception('unknown role ' + message['role']) }}{%- endif %}" +
  "{{- label + ': ' + message['content'] + '\\n' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- 'Assistant:' }}{%- endif %}";

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python-style strftime over the UTC fields of `date`, English names, the directives chat templates use. */
export function strftimeUtc(date: Date, format: string): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const dayOfYear = Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  return format.replace(/%([a-zA-Z%])/g, (whole, d: string) => {
    switch (d) {
      case 'Y': return String(date.getUTCFullYear());
      case 'y': return pad(date.getUTCFullYear() % 100);
      case 'm': return pad(date.getUTCMonth() + 1);
      case 'd': return pad(date.getUTCDate());
      case 'e': return String(date.getUTCDate()).padStart(2, ' ');
      case 'B': return MONTHS[date.getUTCMonth()];
      case 'b': return MONTHS[date.getUTCMonth()].slice(0, 3);
      case 'A': return DAYS[date.getUTCDay()];
      case 'a': return DAYS[date.getUTCDay()].slice(0, 3);
      case 'H': return pad(date.getUTCHours());
      case 'M': return pad(date.getUTCMinutes());
      case 'S': return pad(date.getUTCSeconds());
      case 'j': return pad(dayOfYear, 3);
      case '%': return '%';
      default: return whole;
    }
  });
}

/** Parsed templates by source: parsing costs more than rendering, and a run renders thousands of prompts. */
const compiledTemplates = new Map<string, Template>();

/**
 * Renders a Jinja chat template as HF `apply_chat_template(tokenize=False)` does.
 * Throws EmotionCircuitsError('TOKENIZER') when the template does not parse or raises.
 */
export function renderChat(template: string, messages: ChatMessage[], opts: RenderChatOptions): string {
  const date = opts.date ?? DEFAULT_CHAT_DATE;
  let compiled = compiledTemplates.get(template);
  if (!compiled) {
    try {
      compiled = new Template(template);
    } catch (err) {
      throw new EmotionCircuitsError('TOKENIZER', `cannot parse the chat template: ${(err as Error).message}`, 'chat_template');
    }
    if (compiledTemplates.size >= 16) compiledTemplates.clear();
    compiledTemplates.set(template, compiled);
  }
  // Template.render would install jinja's own raise_exception and a clock-reading strftime_now,
  // which cannot be overridden; so the globals are declared here and the program run directly.
  const env = new Environment();
  const globals: Record<string, unknown> = {
    true: true, false: false, none: null, True: true, False: false, None: null,
    range: pythonRange,
    raise_exception: (message: unknown): never => {
      throw new EmotionCircuitsError('TOKENIZER', `the chat template raised: ${String(message)}`, 'chat_template');
    },
    strftime_now: (format: unknown): string => strftimeUtc(date, String(format)),
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt,
    bos_token: opts.bosToken ?? '',
    eos_token: opts.eosToken ?? '',
  };
  try {
    for (const [name, value] of Object.entries(globals)) env.set(name, value);
    const result = new Interpreter(env).run(compiled.parsed).value;
    if (typeof result !== 'string') throw new Error(`rendered a ${typeof result}, not text`);
    return result;
  } catch (err) {
    if (err instanceof EmotionCircuitsError) throw err;
    throw new EmotionCircuitsError('TOKENIZER', `cannot render the chat template: ${(err as Error).message}`, 'chat_template');
  }
}

/** Python's range(stop) / range(start, stop[, step]). */
function pythonRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (!Number.isInteger(start) || !Number.isInteger(stop) || !Number.isInteger(step) || step === 0) {
    throw new Error(`range(${start}, ${stop}, ${step}) needs integers and a non-zero step`);
  }
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}
