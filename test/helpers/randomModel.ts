/**
 * A random-weight twin of a model folder, for controls: same config, tokenizer and tensor shapes,
 * weights N(0, 0.02²) (norm gains 1), written to a fresh temp folder at test time (never committed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeSafetensors, SafetensorsReader } from '../../src/model/safetensors.js';
import { seededRandom } from '../../src/random.js';

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

export function writeRandomTwin(sourceDir: string, seed: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-random-model-'));
  for (const name of COPIED) if (fs.existsSync(path.join(sourceDir, name))) fs.copyFileSync(path.join(sourceDir, name), path.join(dir, name));
  const reader = SafetensorsReader.open(path.join(sourceDir, 'model.safetensors'));
  const random = seededRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  try {
    const tensors = [...reader.tensors.values()].map((info) => {
      const count = info.shape.reduce((a, b) => a * b, 1);
      const data = /norm/.test(info.name) ? new Float32Array(count).fill(1) : Float32Array.from({ length: count }, () => 0.02 * gaussian());
      return { name: info.name, shape: info.shape, data };
    });
    fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  } finally {
    reader.close();
  }
  return dir;
}
