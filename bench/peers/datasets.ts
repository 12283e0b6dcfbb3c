// The two data sets of the ANN bench: Fashion-MNIST (real images, ann-benchmarks' split) and a
// seeded Gaussian mixture at the reference point (100k × 64-d). Both L2, exact top-k truth.

import type { FashionMnistRun } from "../data-dir.config";

export interface Dataset {
  name: string;
  description: string;
  dim: number;
  /** Base vectors indexed. */
  n: number;
  /** n × dim, row-major. */
  base: Float32Array;
  queryCount: number;
  /** queryCount × dim, row-major. */
  queries: Float32Array;
  /** The exact nearest base indices of query q, nearest first (at least k of them). */
  truth(q: number): ArrayLike<number>;
}

/** Exact k nearest (squared L2) of every query by scanning all rows, nearest first. */
export function bruteForceTruth(
  base: Float32Array,
  n: number,
  queries: Float32Array,
  queryCount: number,
  dim: number,
  k: number,
): Int32Array {
  const out = new Int32Array(queryCount * k);
  const bestDist = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  for (let q = 0; q < queryCount; q++) {
    bestDist.fill(Number.POSITIVE_INFINITY);
    bestIdx.fill(-1);
    const qo = q * dim;
    for (let i = 0; i < n; i++) {
      const bo = i * dim;
      let d = 0;
      for (let j = 0; j < dim; j++) {
        const diff = (base[bo + j] as number) - (queries[qo + j] as number);
        d += diff * diff;
      }
      if (d >= (bestDist[k - 1] as number)) continue;
      // Insertion into a sorted k-list: k = 10 makes this cheaper than any heap.
      let at = k - 1;
      while (at > 0 && (bestDist[at - 1] as number) > d) {
        bestDist[at] = bestDist[at - 1] as number;
        bestIdx[at] = bestIdx[at - 1] as number;
        at--;
      }
      bestDist[at] = d;
      bestIdx[at] = i;
    }
    out.set(bestIdx, q * k);
  }
  return out;
}

/**
 * Fashion-MNIST 784-d, its first `n` base rows. The shipped truth is over every base row, so
 * fewer rows (or a set without a truth file) recompute it.
 */
export function fashionMnist(run: FashionMnistRun, n: number, k: number): Dataset {
  const { data } = run;
  const count = Math.min(n, data.baseCount);
  const { dim } = data;
  let truth: (q: number) => ArrayLike<number>;
  if (count === data.baseCount && data.k >= k) {
    const gk = data.k;
    truth = (q) => data.neighbours.subarray(q * gk, q * gk + k);
  } else {
    const exact = bruteForceTruth(data.base, count, data.queries, data.queryCount, dim, k);
    truth = (q) => exact.subarray(q * k, (q + 1) * k);
  }
  return {
    name: run.name,
    description: `${run.name} ${count} × ${dim}, L2, first ${data.queryCount} test queries`,
    dim,
    n: count,
    base: data.base.subarray(0, count * dim),
    queryCount: data.queryCount,
    queries: data.queries,
    truth,
  };
}

/** SplitMix32-style generator: seeded, fast and good enough for synthetic benchmark data. */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296; // (0, 1): log() below never sees 0
  };
}

function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

export interface MixtureOptions {
  n: number;
  queries: number;
  dim: number;
  clusters: number;
  /** Standard deviation of points around their centre; centres are N(0, 1) per dimension. */
  spread: number;
  seed: number;
  k: number;
}

/**
 * A Gaussian mixture: `clusters` centres drawn N(0, I), each point (base and query alike) a centre
 * picked uniformly plus N(0, spread²·I) noise. Queries come from the same mixture but are not base
 * rows. Truth is exact (brute force), computed here because no file ships with it.
 */
export function gaussianMixture(options: MixtureOptions): Dataset {
  const { n, queries, dim, clusters, spread, seed, k } = options;
  const normal = seededNormal(seed);
  const uniform = seededUniform(seed ^ 0x5bd1e995);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = normal();
  const sample = (count: number): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let row = 0; row < count; row++) {
      const c = Math.min(clusters - 1, Math.floor(uniform() * clusters));
      for (let j = 0; j < dim; j++) {
        out[row * dim + j] = (centres[c * dim + j] as number) + spread * normal();
      }
    }
    return out;
  };
  const base = sample(n);
  const query = sample(queries);
  const exact = bruteForceTruth(base, n, query, queries, dim, k);
  return {
    name: "gaussian-mixture",
    description:
      `Gaussian mixture ${n} × ${dim} (${clusters} clusters, spread ${spread}, seed ${seed}), ` +
      `L2, ${queries} queries from the same mixture`,
    dim,
    n,
    base,
    queryCount: queries,
    queries: query,
    truth: (q) => exact.subarray(q * k, (q + 1) * k),
  };
}
