/**
 * The multiply–add ceiling of WebAssembly SIMD on this host (`--only int8`, beside PyTorch): how
 * many multiply–adds per second one inner loop reaches when its operands sit in L1, so that
 * nothing but instruction throughput limits it. Four loop forms, each with 8 independent
 * accumulators:
 *   - `int8 tile`: the 4×8 tile of gemmI8 (assembly/int8.ts) — per pair of K, two widening int8
 *     loads, four int16-pair broadcasts, eight `i32x4.dot_i16x8_s` and eight `i32x4.add`;
 *   - `int16 dot`: the same dots and adds with plain loads (no widening, no broadcast);
 *   - `f32 tile`: the 4×8 tile of the f32 GEMM — two loads, four broadcasts, eight `f32x4.relaxed_madd`;
 *   - `int8 relaxed dot`: eight `i32x4.relaxed_dot_i8x16_i7x16_add_s` (16 products each).
 * Run on 1 and on `threads` workers at once. A GEMM built from these loops cannot beat the
 * ceiling, which is what the bench compares PyTorch's prefill rate against.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';

/**
 * An integer loop with plain loads: per pass of 32 steps, two weight vectors and four activation
 * vectors, and 8 accumulators c0…c7 each updated once by `accumulate(acc, w, x)`.
 */
function plainLoadLoop(name: string, accumulate: (acc: string, w: string, x: string) => string): string {
  const updates = Array.from({ length: 8 }, (_, i) => `c${i} = ${accumulate(`c${i}`, `w${i % 2}`, `x${i >> 1}`)};`);
  return `export function ${name}(buf: usize, passes: i32): i32 {
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
  let c4 = i32x4.splat(0), c5 = i32x4.splat(0), c6 = i32x4.splat(0), c7 = i32x4.splat(0);
  for (let pass = 0; pass < passes; pass++) {
    let b = buf, a = buf + 1024;
    for (let p = 0; p < PAIRS / 2; p++) {
      const w0 = v128.load(b), w1 = v128.load(b, 16);
      const x0 = v128.load(a), x1 = v128.load(a, 16), x2 = v128.load(a + 512), x3 = v128.load(a + 512, 16);
      ${updates.join('\n      ')}
      b += 32; a += 16;
    }
  }
  const s = i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
}`;
}

/**
 * A 4-row × 8-column tile as in the GEMMs: per step two weight vectors (`weights`), four broadcast
 * activations, and 8 accumulators each updated once by `accumulate(acc, w, x)`.
 */
function tileLoop(loop: { name: string; lane: 'i32' | 'f32'; activationsAt: number; weightBytes: number; weights: [string, string]; accumulate: (acc: string, w: string, x: string) => string }): string {
  const v = `${loop.lane}x4`;
  const rows = Array.from({ length: 4 }, (_, r) => `xv = v128.load32_splat(a, ${4 * r});
      r${r}a = ${loop.accumulate(`r${r}a`, 'lo', 'xv')}; r${r}b = ${loop.accumulate(`r${r}b`, 'hi', 'xv')};`);
  return `export function ${loop.name}(buf: usize, passes: i32): ${loop.lane} {
  let r0a = ${v}.splat(0), r0b = ${v}.splat(0), r1a = ${v}.splat(0), r1b = ${v}.splat(0);
  let r2a = ${v}.splat(0), r2b = ${v}.splat(0), r3a = ${v}.splat(0), r3b = ${v}.splat(0);
  for (let pass = 0; pass < passes; pass++) {
    let b = buf, a = buf + ${loop.activationsAt};
    for (let p = 0; p < PAIRS; p++) {
      const lo = ${loop.weights[0]}, hi = ${loop.weights[1]};
      let xv: v128;
      ${rows.join('\n      ')}
      b += ${loop.weightBytes}; a += 16;
    }
  }
  const s = ${v}.add(${v}.add(${v}.add(r0a, r0b), ${v}.add(r1a, r1b)), ${v}.add(${v}.add(r2a, r2b), ${v}.add(r3a, r3b)));
  return ${v}.extract_lane(s, 0) + ${v}.extract_lane(s, 3);
}`;
}

const SOURCE = `
const PAIRS: i32 = 64; // 1 KiB of weights and 1 KiB of activations per pass: L1-resident

${tileLoop({
  name: 'int8Tile', lane: 'i32', activationsAt: 1024, weightBytes: 16,
  weights: ['v128.load8x8_s(b)', 'v128.load8x8_s(b, 8)'],
  accumulate: (acc, w, x) => `i32x4.add(${acc}, i32x4.dot_i16x8_s(${w}, ${x}))`,
})}

${plainLoadLoop('int16Dot', (acc, w, x) => `i32x4.add(${acc}, i32x4.dot_i16x8_s(${w}, ${x}))`)}

${tileLoop({
  name: 'f32Tile', lane: 'f32', activationsAt: 2048, weightBytes: 32,
  weights: ['v128.load(b)', 'v128.load(b, 16)'],
  accumulate: (acc, w, x) => `f32x4.relaxed_madd(${w}, ${x}, ${acc})`,
})}

${plainLoadLoop('int8RelaxedDot', (acc, w, x) => `i32x4.relaxed_dot_i8x16_i7x16_add_s(${w}, ${x}, ${acc})`)}
`;

/** Each loop form: its export and the multiply–adds one pass does (64 pairs of K, 8 accumulators). */
export const CEILING_LOOPS = [
  { name: 'int8 tile (gemmI8)', exportName: 'int8Tile', macsPerPass: 64 * 8 * 8 },
  { name: 'int16 dot + add', exportName: 'int16Dot', macsPerPass: 32 * 8 * 8 },
  { name: 'f32 tile (relaxed madd)', exportName: 'f32Tile', macsPerPass: 64 * 8 * 4 },
  { name: 'int8 relaxed dot-add (7-bit x)', exportName: 'int8RelaxedDot', macsPerPass: 32 * 8 * 16 },
] as const;

export interface CeilingRow {
  loop: string;
  threads: number;
  /** Multiply–adds per second, all threads together (the best of the repeats: a ceiling). */
  gmacPerS: number;
}

interface WorkerResult {
  /** Seconds per `passes` passes, per loop, per repeat. */
  seconds: number[][];
}

const PASSES = 100_000;
/** Where the f32 loop's operands start (the integer loops use the 4 KiB below). */
const F32_AT = 4096;
const REPEATS = 9;

/** Compiles the loops (relaxed SIMD on) to a module; null when this runtime lacks relaxed SIMD. */
async function compileLoops(): Promise<WebAssembly.Module | null> {
  if (!enableRelaxedSimd()) return null;
  // Imported here, not at the top: the workers load this file too and need no compiler.
  const { default: asc } = await import('assemblyscript/asc');
  const { error, binary, stderr } = await asc.compileString(SOURCE, {
    optimizeLevel: 3, runtime: 'stub', noAssert: true, enable: ['simd', 'relaxed-simd'], initialMemory: 1,
  });
  if (error || !binary) throw new Error(`simdCeiling: the loops did not compile: ${error?.message ?? ''} ${stderr.toString()}`);
  return new WebAssembly.Module(new Uint8Array(binary));
}

/**
 * One thread: after a warm-up, REPEATS rounds of every loop in turn (round-robin, so that a slow
 * stretch of the host hits every loop alike); waits at `start` until all threads are ready.
 */
function measure(module: WebAssembly.Module, start: Int32Array, threads: number, passes: number): WorkerResult {
  const instance = new WebAssembly.Instance(module, {});
  const exports = instance.exports as Record<string, (buf: number, passes: number) => number>;
  const memory = instance.exports.memory as WebAssembly.Memory;
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < F32_AT; i++) bytes[i] = (i * 37) & 63; // integer operands: small, 7-bit for the relaxed dot
  new Float32Array(memory.buffer, F32_AT, 1024).forEach((_, i, values) => (values[i] = 1e-3 * ((i % 7) + 1))); // normal floats
  const at = (loop: (typeof CEILING_LOOPS)[number]): number => (loop.exportName === 'f32Tile' ? F32_AT : 0);
  const seconds: number[][] = CEILING_LOOPS.map(() => []);
  // Warm-up: V8 runs a wasm function from its baseline compiler until a later call picks up the
  // optimised code (compiled in the background); ten calls of each loop get there.
  for (let call = 0; call < 10; call++) for (const loop of CEILING_LOOPS) exports[loop.exportName](at(loop), 1000);
  Atomics.add(start, 0, 1);
  while (Atomics.load(start, 0) < threads) Atomics.wait(start, 0, Atomics.load(start, 0), 1);
  for (let r = 0; r < REPEATS; r++) {
    CEILING_LOOPS.forEach((loop, i) => {
      const t0 = process.hrtime.bigint();
      exports[loop.exportName](at(loop), passes);
      seconds[i].push(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  }
  return { seconds };
}

if (!isMainThread && (workerData as { simdCeiling?: boolean } | null)?.simdCeiling) {
  const { module, start, threads, passes } = workerData as { module: WebAssembly.Module; start: SharedArrayBuffer; threads: number; passes: number };
  enableRelaxedSimd();
  parentPort!.postMessage(measure(module, new Int32Array(start), threads, passes));
}

/** Runs every loop (`passes` passes, 5 times) on 1 and on `threads` workers at once; null when relaxed SIMD is missing. */
export async function simdCeiling(threads: number, passes = PASSES): Promise<CeilingRow[] | null> {
  const module = await compileLoops();
  if (!module) return null;
  const rows: CeilingRow[] = [];
  for (const count of [...new Set([1, threads])]) {
    const start = new SharedArrayBuffer(4);
    const results = await Promise.all(Array.from({ length: count }, () => new Promise<WorkerResult>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { simdCeiling: true, module, start, threads: count, passes } });
      worker.once('message', (result: WorkerResult) => {
        resolve(result);
        void worker.terminate();
      });
      worker.once('error', reject);
    })));
    CEILING_LOOPS.forEach((loop, i) => {
      // Per repeat, the threads' rates add up; the best repeat is the ceiling.
      const totals = Array.from({ length: REPEATS }, (_, r) => results.reduce((sum, result) => sum + (loop.macsPerPass * passes) / result.seconds[i][r], 0));
      rows.push({ loop: loop.name, threads: count, gmacPerS: Math.max(...totals) / 1e9 });
    });
  }
  return rows;
}
