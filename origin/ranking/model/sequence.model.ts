import { SeededRandom } from "./seeded-random";

/**
 * The co-engagement embedding model: item2vec (Barkan & Koenigstein 2016) turned towards the
 * next video. Each video has an input vector (as part of a user's history) and an output vector
 * (as the video to recommend next). A user is the recency-weighted mean of the input vectors of
 * the videos they just watched, newest weighing most, so the order of recent videos shapes the
 * query; the same function serves at run time and in training.
 */
export interface SequenceModelOptions {
  dim: number;
  /** How many of the newest history items form the user vector. */
  window: number;
  /** Weight of the item one step further back than another (geometric recency). */
  decay: number;
}

export const DEFAULT_SEQUENCE_OPTIONS: SequenceModelOptions = { dim: 64, window: 10, decay: 0.7 };

export class SequenceModel {
  readonly itemCount: number;
  readonly options: SequenceModelOptions;
  readonly input: Float32Array;
  readonly output: Float32Array;
  /** Learned per-video logit offset: the popularity the vectors don't explain. */
  readonly bias: Float32Array;

  constructor(
    itemCount: number,
    options: SequenceModelOptions = DEFAULT_SEQUENCE_OPTIONS,
    weights?: { input: Float32Array; output: Float32Array; bias: Float32Array },
  ) {
    this.itemCount = itemCount;
    this.options = options;
    this.input = weights?.input ?? new Float32Array(itemCount * options.dim);
    this.output = weights?.output ?? new Float32Array(itemCount * options.dim);
    this.bias = weights?.bias ?? new Float32Array(itemCount);
  }

  /** word2vec's initialisation: small uniform inputs, zero outputs. */
  static initialised(itemCount: number, options: SequenceModelOptions, seed: number) {
    const model = new SequenceModel(itemCount, options);
    const rng = new SeededRandom(seed);
    const scale = 0.5 / options.dim;
    for (let i = 0; i < model.input.length; i++) model.input[i] = (rng.next() * 2 - 1) * scale;
    return model;
  }

  /**
   * Recency weights of the newest `window` of `length` history items, written into `weights`
   * newest first, normalised to sum 1; returns how many were used.
   */
  historyWeights(length: number, weights: Float32Array): number {
    const used = Math.min(length, this.options.window, weights.length);
    let w = 1;
    let total = 0;
    for (let k = 0; k < used; k++) {
      weights[k] = w;
      total += w;
      w *= this.options.decay;
    }
    for (let k = 0; k < used; k++) weights[k] = (weights[k] as number) / total;
    return used;
  }

  /** The short-term user vector: Σ w_k·input[h_k] over the newest items, in `out`. */
  userVector(history: ArrayLike<number>, out = new Float32Array(this.options.dim)): Float32Array {
    const { dim } = this.options;
    out.fill(0);
    const weights = new Float32Array(this.options.window);
    const used = this.historyWeights(history.length, weights);
    for (let k = 0; k < used; k++) {
      const item = history[history.length - 1 - k] as number;
      if (item < 0 || item >= this.itemCount) continue;
      const w = weights[k] as number;
      const row = item * dim;
      for (let d = 0; d < dim; d++)
        out[d] = (out[d] as number) + w * (this.input[row + d] as number);
    }
    return out;
  }

  /** The long-term user vector: the plain mean of the input vectors of all of `history`. */
  longTermVector(history: ArrayLike<number>, out = new Float32Array(this.options.dim)) {
    const { dim } = this.options;
    out.fill(0);
    if (history.length === 0) return out;
    for (let k = 0; k < history.length; k++) {
      const row = (history[k] as number) * dim;
      for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (this.input[row + d] as number);
    }
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) / history.length;
    return out;
  }

  /** The next-video logit of `item` for a user vector. */
  score(user: Float32Array, item: number): number {
    const { dim } = this.options;
    const row = item * dim;
    let s = this.bias[item] as number;
    for (let d = 0; d < dim; d++) s += (user[d] as number) * (this.output[row + d] as number);
    return s;
  }

  /** Logits of every video, in `out`: the exact reference the ANN rail approximates. */
  scoreAll(user: Float32Array, out = new Float32Array(this.itemCount)): Float32Array {
    for (let i = 0; i < this.itemCount; i++) out[i] = this.score(user, i);
    return out;
  }

  /**
   * The vector to index for inner-product ANN: `[output, bias]`, matched by the query
   * `[user, 1]`, so the index's inner product is exactly the model's logit.
   */
  indexVector(item: number, out = new Float32Array(this.options.dim + 1)): Float32Array {
    const { dim } = this.options;
    out.set(this.output.subarray(item * dim, item * dim + dim));
    out[dim] = this.bias[item] as number;
    return out;
  }
}
