import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../src/errors.js';
import { PLAIN_CHAT_TEMPLATE, renderChat, strftimeUtc, type ChatMessage } from '../src/tokenizer/chatTemplate.js';
import { TextTokenizer } from '../src/tokenizer/tokenizer.js';

const SHARED = process.env.EMOTION_CIRCUITS_SHARED;
const SKIP = 'EMOTION_CIRCUITS_SHARED is not set; point it at the shared data folder (CI sets ../shared)';

interface StoryCase { name: string; text: string; ids: number[]; greedy_ids: number[]; greedy_text: string; tokens: string[] }

function tinyDir(): string {
  return path.join(SHARED!, 'models', 'tinystories-656k');
}

test('TinyStories: fixture ids, tokens and greedy_text are reproduced', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const tok = TextTokenizer.load(tinyDir());
  const cases = JSON.parse(fs.readFileSync(path.join(SHARED, 'fixtures', 'tinystories-656k', 'cases.json'), 'utf8')) as StoryCase[];
  assert.equal(cases.length, 6);
  for (const c of cases) {
    assert.deepEqual(tok.encode(c.text), c.ids, c.name);
    assert.deepEqual(c.ids.map((id) => tok.idToToken(id)), c.tokens, c.name);
    const full = tok.decode([...c.ids, ...c.greedy_ids]);
    const prefix = tok.decode(c.ids);
    assert.ok(full.startsWith(prefix), c.name);
    assert.equal(full.slice(prefix.length), c.greedy_text, c.name);
  }
  assert.equal(tok.bosTokenId, 1);
  assert.deepEqual(tok.eosTokenIds, [2]);
  assert.equal(tok.vocabSize, 2048);
  assert.equal(tok.tokenToId('<|end_story|>'), 2);
  assert.equal(tok.tokenToId('no-such-token'), null);
  assert.equal(tok.idToToken(99999), null);
  assert.equal(tok.encode('Once', { addSpecialTokens: false })[0] !== 1, true, 'no BOS without special tokens');
  assert.equal(tok.decode([1, 80, 51, 2], { skipSpecialTokens: false }), '<|start_story|> Z<|end_story|>');
  assert.throws(() => tok.decode([5000]), EmotionCircuitsError);
});

test('TinyStories: unknown characters map to <unk> (id 0), one per character', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const tok = TextTokenizer.load(tinyDir());
  assert.deepEqual(tok.encode('Zoë ate a café treat 😀.'), [1, 80, 51, 67, 0, 85, 1622, 134, 295, 58, 0, 80, 307, 143, 0, 10]);
});

test('TinyStories has no chat template: the plain one is used', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const tok = TextTokenizer.load(tinyDir());
  assert.equal(tok.chatTemplate, null);
  const p = tok.applyChatTemplate([{ role: 'user', content: 'Tell a story.' }], { addGenerationPrompt: true });
  assert.deepEqual(p, { text: 'User: Tell a story.\nAssistant:', templateKind: 'plain', addSpecialTokens: true });
  assert.equal(tok.encode(p.text, { addSpecialTokens: p.addSpecialTokens })[0], 1);
});

test('a chat_template in tokenizer_config.json is used as the model template', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  try {
    fs.copyFileSync(path.join(tinyDir(), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const config = JSON.parse(fs.readFileSync(path.join(tinyDir(), 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    config.chat_template = '{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}';
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const tok = TextTokenizer.load(dir);
    const p = tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    assert.deepEqual(p, { text: '<|start_story|>[user] hi[assistant]', templateKind: 'model', addSpecialTokens: false });
    // chat_template.jinja (newer HF layout) takes precedence.
    fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{% for m in messages %}{{ m.content }}|{% endfor %}');
    assert.equal(TextTokenizer.load(dir).applyChatTemplate([{ role: 'user', content: 'a' }], { addGenerationPrompt: false }).text, 'a|');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing or broken tokenizer.json is a TOKENIZER error naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  try {
    assert.throws(() => TextTokenizer.load(dir), (e: unknown) => e instanceof EmotionCircuitsError && e.code === 'TOKENIZER' && /tokenizer\.json: file not found/.test(e.message));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{oops');
    assert.throws(() => TextTokenizer.load(dir), (e: unknown) => e instanceof EmotionCircuitsError && /cannot read as JSON/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Minimal templates written for this test, in the style of the two common families.
const LLAMA3_STYLE =
  "{{- bos_token }}" +
  "{%- if messages[0]['role'] == 'system' %}{%- set system = messages[0]['content'] %}{%- set rest = messages[1:] %}" +
  "{%- else %}{%- set system = '' %}{%- set rest = messages %}{%- endif %}" +
  "{{- '<|start_header_id|>system<|end_header_id|>\\n\\nToday Date: ' + strftime_now('%d %b %Y') + '\\n\\n' + system + '<|eot_id|>' }}" +
  "{%- for m in rest %}" +
  "{%- if m['role'] not in ['user', 'assistant'] %}{{ raise_exception('roles must be user or assistant') }}{%- endif %}" +
  "{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

const CHATML_STYLE =
  "{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const CHAT: ChatMessage[] = [
  { role: 'system', content: 'Always reply in anger.\nKeep the reply to at most two sentences.' },
  { role: 'user', content: 'The bus left early.' },
];

test('Llama-3-style template: pinned date, headers, generation prompt, raise_exception', () => {
  const text = renderChat(LLAMA3_STYLE, CHAT, { addGenerationPrompt: true, bosToken: '<|begin_of_text|>' });
  assert.equal(text,
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nToday Date: 01 Jan 2026\n\n' +
    'Always reply in anger.\nKeep the reply to at most two sentences.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nThe bus left early.<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\n');
  const dated = renderChat(LLAMA3_STYLE, CHAT, { addGenerationPrompt: false, date: new Date(Date.UTC(2024, 6, 23)) });
  assert.match(dated, /Today Date: 23 Jul 2024/);
  assert.ok(dated.endsWith('The bus left early.<|eot_id|>'));
  assert.throws(
    () => renderChat(LLAMA3_STYLE, [{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }], { addGenerationPrompt: true }),
    (e: unknown) => e instanceof EmotionCircuitsError && e.code === 'TOKENIZER' && /roles must be user or assistant/.test(e.message),
  );
});

test('ChatML (Qwen-style) template', () => {
  assert.equal(renderChat(CHATML_STYLE, CHAT, { addGenerationPrompt: true }),
    '<|im_start|>system\nAlways reply in anger.\nKeep the reply to at most two sentences.<|im_end|>\n' +
    '<|im_start|>user\nThe bus left early.<|im_end|>\n<|im_start|>assistant\n');
  assert.throws(() => renderChat('{% if %}', CHAT, { addGenerationPrompt: true }), (e: unknown) => e instanceof EmotionCircuitsError && /cannot parse/.test(e.message));
});

test('plain template for base models', () => {
  const text = renderChat(PLAIN_CHAT_TEMPLATE, [...CHAT, { role: 'assistant', content: 'Grr.' }, { role: 'user', content: 'Again?' }], { addGenerationPrompt: true });
  assert.equal(text,
    'System: Always reply in anger.\nKeep the reply to at most two sentences.\nUser: The bus left early.\nAssistant: Grr.\nUser: Again?\nAssistant:');
  assert.equal(renderChat(PLAIN_CHAT_TEMPLATE, [{ role: 'user', content: 'x' }], { addGenerationPrompt: false }), 'User: x\n');
});

test('strftimeUtc formats the directives chat templates use', () => {
  const d = new Date(Date.UTC(2026, 0, 1, 9, 5, 7));
  assert.equal(strftimeUtc(d, '%Y-%m-%d %H:%M:%S %j %a %A %b %B %y %e %%'), '2026-01-01 09:05:07 001 Thu Thursday Jan January 26  1 %');
});
