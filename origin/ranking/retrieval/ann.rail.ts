import type { KnnIndex } from "../../../wasm/index";
import type { SequenceModel } from "../model/sequence.model";
import type { RailSource } from "./candidate.rails";

/**
 * Indexes every video's `[output, bias]` under inner product, so an ANN query `[user, 1]`
 * returns the videos with the highest next-video logits without scoring the whole catalog.
 */
export function indexSequenceModel(model: SequenceModel, index: KnnIndex): void {
  const width = model.options.dim + 1;
  const vectors = new Float32Array(model.itemCount * width);
  const labels = new Uint32Array(model.itemCount);
  const row = new Float32Array(width);
  for (let item = 0; item < model.itemCount; item++) {
    vectors.set(model.indexVector(item, row), item * width);
    labels[item] = item;
  }
  index.addMany(labels, vectors);
}

/** The `ann` rail: nearest videos to the user's short-term vector. */
export function annRail(index: KnnIndex, query: Float32Array, ef: number): RailSource {
  const q = new Float32Array(query.length + 1);
  q.set(query);
  q[query.length] = 1;
  return (k, allowed) =>
    index.search(q, k, { ef: Math.max(ef, k), accept: allowed }).map((h) => h.label);
}
