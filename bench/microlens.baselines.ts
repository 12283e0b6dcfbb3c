import { SeededRandom } from "../origin/ranking/model/seeded-random";

/** A baseline fills `out` with a score for every item, given a user's index and training items. */
export type FullScorer = (user: number, history: Int32Array, out: Float32Array) => void;

/** Most-interacted items first, the same list for everyone. */
export function popularity(train: readonly Int32Array[], itemCount: number): FullScorer {
  const counts = new Float32Array(itemCount);
  for (const seq of train) for (const item of seq) counts[item] = (counts[item] as number) + 1;
  return (_user, _history, out) => out.set(counts);
}

/**
 * Item-kNN (Sarwar et al. 2001; Deshpande & Karypis 2004): cosine similarity of item
 * co-occurrence across users, a user's score for j = Σ over their items i of sim(i, j).
 */
export function itemKnn(train: readonly Int32Array[], itemCount: number): FullScorer {
  const counts = new Float64Array(itemCount);
  const co = Array.from({ length: itemCount }, () => new Map<number, number>());
  for (const seq of train) {
    for (const a of seq) {
      counts[a] = (counts[a] as number) + 1;
      const row = co[a] as Map<number, number>;
      for (const b of seq) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
    }
  }
  const sims = co.map((row, a) => {
    const items = new Int32Array(row.size);
    const weights = new Float32Array(row.size);
    let k = 0;
    for (const [b, c] of row) {
      items[k] = b;
      weights[k++] = c / Math.sqrt((counts[a] as number) * (counts[b] as number));
    }
    return { items, weights };
  });
  return (_user, history, out) => {
    out.fill(0);
    for (const a of history) {
      const { items, weights } = sims[a] as { items: Int32Array; weights: Float32Array };
      for (let k = 0; k < items.length; k++) {
        const b = items[k] as number;
        out[b] = (out[b] as number) + (weights[k] as number);
      }
    }
  };
}

export interface BprOptions {
  dim: number;
  epochs: number;
  learningRate: number;
  reg: number;
  seed: number;
}

/**
 * Tuned on the second-to-last items (validation, 4,000 users): HR@10 0.008 at lr 0.05 / reg 0.005,
 * 0.022 at 0.1 / 0.02, 0.027 at 0.2 / 0.02, 0.030 at 0.4 / 0.02; lr 0.8 diverges.
 */
export const DEFAULT_BPR: BprOptions = {
  dim: 64,
  epochs: 30,
  learningRate: 0.4,
  reg: 0.02,
  seed: 11,
};

/**
 * BPR-MF (Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback"):
 * LEARNBPR, SGD on (u, i, j) triples with i observed and j drawn uniformly from the rest.
 */
export function bprMf(
  train: readonly Int32Array[],
  itemCount: number,
  options: BprOptions = DEFAULT_BPR,
): FullScorer {
  const { dim, learningRate: lr, reg } = options;
  const rng = new SeededRandom(options.seed);
  const U = new Float32Array(train.length * dim).map(() => (rng.next() - 0.5) * 0.1);
  const V = new Float32Array(itemCount * dim).map(() => (rng.next() - 0.5) * 0.1);
  const B = new Float32Array(itemCount);
  // (user, position) packed as user·1024 + position: MicroLens histories are at most 218 long.
  const pairs: number[] = [];
  for (const [u, seq] of train.entries())
    for (let t = 0; t < seq.length; t++) pairs.push(u * 1024 + t);
  const seen = train.map((seq) => new Set(seq));
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(pairs);
    for (const code of pairs) {
      const u = Math.floor(code / 1024);
      const i = (train[u] as Int32Array)[code % 1024] as number;
      let j = rng.int(itemCount);
      while ((seen[u] as Set<number>).has(j)) j = rng.int(itemCount);
      const ur = u * dim;
      const ir = i * dim;
      const jr = j * dim;
      let x = (B[i] as number) - (B[j] as number);
      for (let d = 0; d < dim; d++) {
        x += (U[ur + d] as number) * ((V[ir + d] as number) - (V[jr + d] as number));
      }
      const g = 1 / (1 + Math.exp(x));
      B[i] = (B[i] as number) + lr * (g - reg * (B[i] as number));
      B[j] = (B[j] as number) + lr * (-g - reg * (B[j] as number));
      for (let d = 0; d < dim; d++) {
        const uf = U[ur + d] as number;
        const vi = V[ir + d] as number;
        const vj = V[jr + d] as number;
        U[ur + d] = uf + lr * (g * (vi - vj) - reg * uf);
        V[ir + d] = vi + lr * (g * uf - reg * vi);
        V[jr + d] = vj + lr * (-g * uf - reg * vj);
      }
    }
  }
  return (user, _history, out) => {
    const ur = user * dim;
    for (let i = 0; i < itemCount; i++) {
      const ir = i * dim;
      let s = B[i] as number;
      for (let d = 0; d < dim; d++) s += (U[ur + d] as number) * (V[ir + d] as number);
      out[i] = s;
    }
  };
}
