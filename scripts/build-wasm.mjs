// Compiles the AssemblyScript kernels into two WebAssembly modules:
//   build/kernels-relaxed.wasm  relaxed-SIMD FMA (f32x4.relaxed_madd)
//   build/kernels-simd.wasm     plain SIMD (mul + add)
// Both import one shared memory (env.memory, up to 65536 pages = 4 GiB) and allocate nothing.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'kernels', 'assembly', 'index.ts');
const outDir = join(root, 'build');
mkdirSync(outDir, { recursive: true });

const common = [
  entry,
  '-O3',
  '--runtime', 'stub',
  '--noAssert',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory', '1',
  '--maximumMemory', '65536',
  '--enable', 'simd',
  '--enable', 'threads',
];

const builds = [
  { file: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
  { file: 'kernels-simd.wasm', extra: [] },
];

for (const build of builds) {
  const args = [...common, ...build.extra, '--outFile', join(outDir, build.file)];
  const { error, stderr } = await asc.main(args, {});
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${build.file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: build/${build.file}`);
}
