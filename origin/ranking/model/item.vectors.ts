import { HnswIndex, type IndexOptions } from "../../../wasm/index";
import type { SequenceModel } from "./sequence.model";

/**
 * A video's content vector weighs k/(n+k) against what n watches taught: with no history it is
 * all content (fresh uploads are retrievable), after ~50 watches it barely matters.
 */
const CONTENT_PRIOR_WATCHES = 5;
/** HNSW build for the base: efConstruction 100 keeps a 100k rebuild to seconds (wasm/README.md). */
const INDEX_BUILD = { M: 16, efConstruction: 100 } as const;
const MIN_BASE_CAPACITY = 1024;
const DELTA_CAPACITY = 1024;

/** input and output ← w·learned + (1 − w)·content, w = n/(n + k); n = 0 is pure content. */
export function blendContent(
  sequence: SequenceModel,
  item: number,
  content: ArrayLike<number>,
  watches: number,
): void {
  const { dim } = sequence.options;
  const w = watches / (watches + CONTENT_PRIOR_WATCHES);
  const row = item * dim;
  for (let d = 0; d < dim; d++) {
    const c = (content[d] ?? 0) * (1 - w);
    sequence.input[row + d] = (sequence.input[row + d] as number) * w + c;
    sequence.output[row + d] = (sequence.output[row + d] as number) * w + c;
  }
}

/** Inner product over `[output, bias]` (SequenceModel.indexVector), so a hit's score is the logit. */
export function itemIndexOptions(sequence: SequenceModel, capacity: number): IndexOptions {
  return { dim: sequence.options.dim + 1, metric: "ip", ...INDEX_BUILD, capacity };
}

/** The static base over `items`, built in one batch. */
export function buildBaseIndex(
  module: WebAssembly.Module,
  sequence: SequenceModel,
  items: ArrayLike<number>,
): HnswIndex {
  const options = itemIndexOptions(sequence, Math.max(MIN_BASE_CAPACITY, items.length));
  const base = HnswIndex.create(module, options);
  if (items.length === 0) return base;
  const width = options.dim;
  const vectors = new Float32Array(items.length * width);
  const row = new Float32Array(width);
  for (let i = 0; i < items.length; i++) {
    vectors.set(sequence.indexVector(items[i] as number, row), i * width);
  }
  base.addMany(items, vectors);
  return base;
}

/** An empty delta shaped like the base, for videos that go live after the base was built. */
export function emptyDeltaIndex(module: WebAssembly.Module, sequence: SequenceModel): HnswIndex {
  return HnswIndex.create(module, itemIndexOptions(sequence, DELTA_CAPACITY));
}
