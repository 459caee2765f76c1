// AssemblyScript kernels: elementwise activations, 4 lanes at a time.

// exp(x) for 4 f32 lanes (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-7 polynomial;
// about 2 ulp). Inputs are clamped to [-87.3, 88.3], so the result is a normal finite f32.
// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n from the exponent bits; n ∈ [-126, 127].
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// @ts-ignore: decorator
@inline function siluMul4(g: v128, u: v128): v128 {
  return f32x4.mul(f32x4.div(g, f32x4.add(f32x4.splat(1), exp4(f32x4.neg(g)))), u);
}

/** out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + exp(−gate[i])) · up[i], i < count. */
export function siluMul(gate: usize, up: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, siluMul4(v128.load(gate + at), v128.load(up + at)));
  }
  for (; i < count; i++) {
    const at = <usize>i << 2;
    const r = siluMul4(f32x4.splat(load<f32>(gate + at)), f32x4.splat(load<f32>(up + at)));
    store<f32>(out + at, f32x4.extract_lane(r, 0));
  }
}
