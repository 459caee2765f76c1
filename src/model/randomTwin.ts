/**
 * A random-weight twin of a model folder, the control for every discovery figure: same config,
 * tokenizer and tensor shapes, weights N(0, 0.02²) and norm gains 1, seeded. A finding that the
 * twin reproduces (held-out accuracy, top-k beating random-k) is a property of the method or the
 * prompts, not of what the model learnt.
 *
 * @example
 * const twinDir = writeRandomTwin('models/tinystories-656k', 0, 'runs/t/twin/model');
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom } from '../random.js';
import { Checkpoint } from './checkpoint.js';
import { encodeSafetensors } from './safetensors.js';

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/** Parameters of a model folder (from the tensor headers; nothing is read). */
export function parameterCount(modelDir: string): number {
  const checkpoint = Checkpoint.open(modelDir);
  try {
    return checkpoint.names().reduce((n, name) => n + checkpoint.info(name).shape.reduce((a, b) => a * b, 1), 0);
  } finally {
    checkpoint.close();
  }
}

/**
 * Writes the twin of `sourceDir` into `targetDir` (default: a fresh temp folder) as one
 * model.safetensors (f32) with the same tensor names; returns the folder.
 */
export function writeRandomTwin(sourceDir: string, seed: number, targetDir?: string): string {
  const dir = targetDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ec-random-model-'));
  fs.mkdirSync(dir, { recursive: true });
  for (const name of COPIED) if (fs.existsSync(path.join(sourceDir, name))) fs.copyFileSync(path.join(sourceDir, name), path.join(dir, name));
  const checkpoint = Checkpoint.open(sourceDir);
  const random = seededRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  try {
    const tensors = checkpoint.names().map((name) => {
      const shape = checkpoint.info(name).shape;
      const count = shape.reduce((a, b) => a * b, 1);
      const data = /norm/.test(name) ? new Float32Array(count).fill(1) : Float32Array.from({ length: count }, () => 0.02 * gaussian());
      return { name, shape, data };
    });
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(`${file}.tmp`, encodeSafetensors(tensors));
    fs.renameSync(`${file}.tmp`, file);
  } finally {
    checkpoint.close();
  }
  return dir;
}
