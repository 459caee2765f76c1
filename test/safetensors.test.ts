import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SafetensorsError } from '../src/errors.js';
import {
  encodeSafetensors, SafetensorsReader, toWeightDType, writeSafetensors,
} from '../src/model/safetensors.js';
import { seededRandom } from '../src/random.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

/** Builds a file from a raw header (object or exact text) and `dataLength` data bytes (value i & 255). */
function build(header: unknown, dataLength: number, headerLengthOverride?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataLength; i++) out[8 + json.length + i] = i & 255;
  return out;
}

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => SafetensorsReader.fromBytes(bytes, 'bad.safetensors'), (err: unknown) => {
    assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
    assert.match(err.message, /^bad\.safetensors: /);
    assert.match(err.message, pattern);
    return true;
  });
}

const ok = { a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] }, b: { dtype: 'F16', shape: [4], data_offsets: [24, 32] } };

test('encode → read round trip, in memory and through a file', () => {
  const a = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
  const b = Float32Array.from([3.25, -0, Infinity]);
  const bytes = encodeSafetensors([{ name: 'a', shape: [2, 3], data: a }, { name: 'b', shape: [3], data: b }], { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0, 'header padded to a multiple of 8');
  const mem = SafetensorsReader.fromBytes(bytes, 'mem');
  assert.deepEqual(mem.metadata, { format: 'pt' });
  assert.deepEqual(mem.readF32('a'), a);
  assert.deepEqual(mem.readF32('b'), b);
  assert.deepEqual(mem.info('a'), { name: 'a', dtype: 'F32', shape: [2, 3], dataOffset: 8 + n, byteLength: 24 });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
  const file = path.join(dir, 'x.safetensors');
  writeSafetensors(file, [{ name: 'a', shape: [2, 3], data: a }, { name: 'empty', shape: [0, 4], data: new Float32Array(0) }]);
  assert.deepEqual(fs.readdirSync(dir), ['x.safetensors'], 'no temp file left behind');
  const r = SafetensorsReader.open(file);
  assert.deepEqual(r.readF32('a'), a);
  assert.equal(r.readF32('empty').length, 0);
  const raw = r.readBytes('a');
  assert.equal(raw.byteLength, 24);
  assert.deepEqual(new Float32Array(raw.buffer), a);
  r.close();
  assert.throws(() => r.readBytes('a'), SafetensorsError);
  fs.rmSync(dir, { recursive: true });
});

test('F16, BF16 and F64 convert to f32; other dtypes refuse', () => {
  const header = {
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
    d: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
    i: { dtype: 'I32', shape: [2], data_offsets: [16, 24] },
  };
  const bytes = build(header, 24);
  const dv = new DataView(bytes.buffer, bytes.length - 24);
  dv.setUint16(0, 0x3c00, true); dv.setUint16(2, 0xc000, true); // 1, -2
  dv.setUint16(4, 0x3f80, true); dv.setUint16(6, 0x4040, true); // 1, 3
  dv.setFloat64(8, 0.1, true);
  const r = SafetensorsReader.fromBytes(bytes, 'm');
  assert.deepEqual([...r.readF32('h')], [1, -2]);
  assert.deepEqual([...r.readF32('b')], [1, 3]);
  assert.deepEqual([...r.readF32('d')], [Math.fround(0.1)]);
  assert.throws(() => r.readF32('i'), /I32/);
  assert.throws(() => r.readF32('nope'), SafetensorsError);
  assert.equal(toWeightDType('BF16'), 'bf16');
  assert.equal(toWeightDType('F16'), 'f16');
  assert.equal(toWeightDType('F32'), 'f32');
  assert.throws(() => toWeightDType('I8'), SafetensorsError);
});

test('every validation error is a SafetensorsError that says what was expected', () => {
  expectError(new Uint8Array(5), /5 bytes, fewer than the 8/);
  expectError(build(ok, 32, 10_000n), /header length 10000 runs past the end/);
  expectError(build(ok, 32, 1n << 62n), /exceeds the limit/);
  expectError(build(' {}', 0), /must begin with '\{'/);
  expectError(build('{"a":1', 0), /not valid JSON/);
  const badUtf8 = build('{"a":"xx"}', 0);
  badUtf8[14] = 0xff;
  expectError(badUtf8, /not valid UTF-8/);
  expectError(build('[1, 2, 3 ]', 0), /must begin with '\{'/);
  expectError(build({ a: 3 }, 0), /tensor "a": expected an object/);
  expectError(build({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /missing dtype/);
  expectError(build({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype string "Q4"/);
  expectError(build({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4), /shape must be an array/);
  expectError(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /non-negative integers/);
  expectError(build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /non-negative integers/);
  expectError(build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4), /too many elements/);
  expectError(build({ a: { dtype: 'F32', shape: [1] } }, 4), /data_offsets must be \[begin, end\]/);
  expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), /non-negative integers/);
  expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /end 0 < begin 4/);
  expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, 4), /run past the data area of 4 bytes/);
  expectError(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes, but data_offsets \[0, 8\] hold 8/);
  expectError(build({
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  }, 12), /overlaps tensor "a"/);
  expectError(build({
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, 12), /hole in the data area: bytes \[4, 8\)/);
  expectError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12), /data area has 12 bytes but the tensors cover only 4/);
  expectError(build({ __metadata__: { format: 1 } }, 0), /__metadata__.format must be a string/);
  expectError(build({ __metadata__: ['x'] }, 0), /__metadata__ must be an object/);
  assert.throws(() => SafetensorsReader.open('/nonexistent/dir/x.safetensors'), SafetensorsError);
});

test('accepted edge cases: padded header, empty tensors, scalars, sub-byte dtypes', () => {
  const r = SafetensorsReader.fromBytes(build('{"__metadata__":{"__proto__":"p"},' + JSON.stringify({
    s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
    e: { dtype: 'BF16', shape: [3, 0], data_offsets: [4, 4] }, f: { dtype: 'F4', shape: [4], data_offsets: [4, 6] },
  }).slice(1) + '      ', 6), 'edge');
  assert.deepEqual(r.info('s').shape, []);
  assert.equal(r.readF32('s').length, 1);
  assert.equal(r.readF32('e').length, 0);
  assert.equal(Object.getOwnPropertyDescriptor(r.metadata, '__proto__')?.value, 'p');
  assert.equal(Object.getPrototypeOf(r.metadata), Object.prototype);
  assert.equal(r.info('f').byteLength, 2);
});

/** Deterministic PRNG, so every fuzz case can be replayed by its index. */
const rng = seededRandom;

/** The fuzz base: the random-qwen2 fixture (a real file). Missing fixture with the shared folder set is an error, not a substitute. */
function fuzzBase(): { bytes: Uint8Array; label: string } {
  const fixture = sharedPath('fixtures', 'random-qwen2', 'model.safetensors');
  if (!fs.existsSync(fixture)) throw new Error(`the fuzz base ${fixture} is missing from the shared folder`);
  return { bytes: new Uint8Array(fs.readFileSync(fixture)), label: fixture };
}

/** Rebuilds a file with a new header text, keeping the original data area. */
function withHeader(bytes: Uint8Array, text: string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const data = bytes.subarray(8 + n);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const WEIRD: unknown[] = [-1, 0, 1, 1.5, 2 ** 53, 2 ** 60, '8', null, [], {}, true];

function mutate(base: Uint8Array, rand: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const n = Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + n))) as Record<string, Record<string, unknown>>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const entry = header[pick(names)];
  const kind = Math.floor(rand() * 9);
  switch (kind) {
    case 0: { // byte flips inside the header
      const out = base.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) out[8 + Math.floor(rand() * n)] = Math.floor(rand() * 256);
      return out;
    }
    case 1: return base.slice(0, Math.floor(rand() * base.length)); // truncation
    case 2: { // header length edit
      const out = base.slice();
      const choices = [BigInt(n + Math.floor(rand() * 17) - 8), BigInt(Math.floor(rand() * out.length)), 1n << 63n, 0n, BigInt(out.length)];
      new DataView(out.buffer).setBigUint64(0, pick(choices), true);
      return out;
    }
    case 3: { // offset edit
      const offsets = entry.data_offsets as unknown[];
      const i = Math.floor(rand() * 2);
      offsets[i] = rand() < 0.6 ? (offsets[i] as number) + pick([-8, -4, -2, -1, 1, 2, 4, 8]) : pick(WEIRD);
      break;
    }
    case 4: entry.dtype = pick(['F64', 'F16', 'BF16', 'I32', 'U8', 'f32', 'Q4_0', 'F4', '', 7]); break;
    case 5: { // shape edit
      const shape = entry.shape as unknown[];
      const op = Math.floor(rand() * 4);
      if (op === 0 && shape.length) shape[Math.floor(rand() * shape.length)] = pick(WEIRD);
      else if (op === 1) shape.push(pick([1, 2, 0]));
      else if (op === 2) shape.pop();
      else shape.reverse(); // same size: still valid
      break;
    }
    case 6: delete header[pick(names)]; break; // leaves a hole (or trailing bytes)
    case 7: header.__metadata__ = pick([{ a: 1 }, 'x', { k: 'v' }, null]) as Record<string, unknown>; break;
    default: { // several edits at once, then a raw byte flip
      entry.data_offsets = [pick(WEIRD), pick(WEIRD)];
      const out = withHeader(base, JSON.stringify(header));
      out[Math.floor(rand() * out.length)] ^= 1 << Math.floor(rand() * 8);
      return out;
    }
  }
  const text = JSON.stringify(header);
  return withHeader(base, rand() < 0.5 ? text : text + ' '.repeat(Math.floor(rand() * 9)));
}

test('fuzz: 600 seeded corruptions of a real file either parse consistently or throw SafetensorsError', { timeout: 120_000, skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, (t) => {
  const { bytes: base, label } = fuzzBase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-fuzz-'));
  let parsed = 0;
  let rejected = 0;
  try {
    for (let c = 0; c < 600; c++) {
      const rand = rng(1000 + c);
      const bytes = mutate(base, rand);
      const context = `case ${c} (base ${label})`;
      let reader: SafetensorsReader;
      try {
        reader = SafetensorsReader.fromBytes(bytes, `fuzz-${c}`);
      } catch (err) {
        assert.ok(err instanceof SafetensorsError, `${context}: threw ${String(err)}`);
        rejected++;
        continue;
      }
      parsed++;
      let covered = 0;
      for (const info of reader.tensors.values()) {
        assert.ok(info.dataOffset + info.byteLength <= bytes.length, context);
        covered += info.byteLength;
        try {
          const values = reader.readF32(info.name);
          assert.ok(values instanceof Float32Array, context);
        } catch (err) {
          assert.ok(err instanceof SafetensorsError, `${context}: readF32 threw ${String(err)}`);
        }
      }
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(covered, bytes.length - 8 - n, `${context}: tensors tile the data area`);
      if (c % 10 === 0) { // the fd path must agree with the in-memory path
        const file = path.join(dir, `c${c}.safetensors`);
        fs.writeFileSync(file, bytes);
        const onDisk = SafetensorsReader.open(file);
        assert.deepEqual([...onDisk.tensors.values()], [...reader.tensors.values()], context);
        for (const name of onDisk.tensors.keys()) assert.deepEqual(onDisk.readBytes(name), reader.readBytes(name), context);
        onDisk.close();
      }
    }
    for (let c = 0; c < 60; c++) { // the fd path also rejects, without leaking errors of other types
      const bytes = mutate(base, rng(5000 + c));
      const file = path.join(dir, `r${c}.safetensors`);
      fs.writeFileSync(file, bytes);
      try {
        SafetensorsReader.open(file).close();
      } catch (err) {
        assert.ok(err instanceof SafetensorsError, `fd case ${c}: threw ${String(err)}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.diagnostic(`base ${label}: ${rejected} rejected, ${parsed} parsed`);
  assert.ok(rejected > 300, `most corruptions are rejected (${rejected} rejected, ${parsed} parsed)`);
  assert.ok(parsed > 0, 'some corruptions (e.g. a reversed shape) stay valid');
});
