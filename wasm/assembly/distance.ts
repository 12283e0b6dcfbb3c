// Distance kernels. Inner product and cosine use hnswlib's 1 − ⟨a,b⟩ so that smaller is closer
// for every metric; cosine vectors are normalised once on insert and query, so it reuses the
// inner-product kernel. ASC_FEATURE_SIMD selects the scalar path only in a build without SIMD.

import { dim, METRIC_L2, metric } from "./layout";

function horizontalSum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    f32x4.extract_lane(v, 2) +
    f32x4.extract_lane(v, 3)
  );
}

export function squaredL2(a: usize, b: usize, n: i32): f32 {
  let i = 0;
  let sum: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let acc2 = f32x4.splat(0);
    let acc3 = f32x4.splat(0);
    // Four independent accumulators hide the latency of f32x4.add.
    for (; i + 16 <= n; i += 16) {
      const pa = a + ((<usize>i) << 2);
      const pb = b + ((<usize>i) << 2);
      const d0 = f32x4.sub(v128.load(pa), v128.load(pb));
      const d1 = f32x4.sub(v128.load(pa, 16), v128.load(pb, 16));
      const d2 = f32x4.sub(v128.load(pa, 32), v128.load(pb, 32));
      const d3 = f32x4.sub(v128.load(pa, 48), v128.load(pb, 48));
      acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
      acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
      acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
      acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
    }
    for (; i + 4 <= n; i += 4) {
      const d = f32x4.sub(v128.load(a + ((<usize>i) << 2)), v128.load(b + ((<usize>i) << 2)));
      acc0 = f32x4.add(acc0, f32x4.mul(d, d));
    }
    sum = horizontalSum(f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3)));
  }
  for (; i < n; i++) {
    const d = load<f32>(a + ((<usize>i) << 2)) - load<f32>(b + ((<usize>i) << 2));
    sum += d * d;
  }
  return sum;
}

export function dot(a: usize, b: usize, n: i32): f32 {
  let i = 0;
  let sum: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let acc2 = f32x4.splat(0);
    let acc3 = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const pa = a + ((<usize>i) << 2);
      const pb = b + ((<usize>i) << 2);
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(pa), v128.load(pb)));
      acc1 = f32x4.add(acc1, f32x4.mul(v128.load(pa, 16), v128.load(pb, 16)));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(pa, 32), v128.load(pb, 32)));
      acc3 = f32x4.add(acc3, f32x4.mul(v128.load(pa, 48), v128.load(pb, 48)));
    }
    for (; i + 4 <= n; i += 4) {
      const p = (<usize>i) << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + p), v128.load(b + p)));
    }
    sum = horizontalSum(f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3)));
  }
  for (; i < n; i++) {
    sum += load<f32>(a + ((<usize>i) << 2)) * load<f32>(b + ((<usize>i) << 2));
  }
  return sum;
}

export function distance(a: usize, b: usize): f32 {
  if (metric === METRIC_L2) return squaredL2(a, b, dim);
  return 1 - dot(a, b, dim);
}

// A zero vector has no direction; it stays zero and sits at distance 1 from everything.
export function normalise(v: usize, n: i32): void {
  const norm = Mathf.sqrt(dot(v, v, n));
  if (norm === 0) return;
  const inv: f32 = 1 / norm;
  for (let i = 0; i < n; i++) {
    const p = v + ((<usize>i) << 2);
    store<f32>(p, load<f32>(p) * inv);
  }
}
