import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

// The repository is cloned with shared/ beside it (see shared/data/README.md).
const DATA_DIR = new URL("../../../shared/data/fashion-mnist/", import.meta.url);
const IMAGE_HEADER_BYTES = 16;
const GROUND_TRUTH_K = 100;

export interface FashionMnist {
  dim: number;
  baseCount: number;
  queryCount: number;
  /** baseCount × dim pixels, 0–255 as f32 (ann-benchmarks' fashion-mnist-784-euclidean). */
  base: Float32Array;
  queries: Float32Array;
  /** queryCount × 100 exact nearest base indices over the full 60,000, nearest first. */
  neighbours: Int32Array;
}

function readImages(
  file: string,
  limit: number,
): { dim: number; count: number; data: Float32Array } {
  const raw = gunzipSync(readFileSync(new URL(file, DATA_DIR)));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getInt32(0) !== 2051) throw new Error(`${file} is not an IDX image file`);
  const count = Math.min(view.getInt32(4), limit);
  const dim = view.getInt32(8) * view.getInt32(12);
  const pixels = raw.subarray(IMAGE_HEADER_BYTES, IMAGE_HEADER_BYTES + count * dim);
  return { dim, count, data: Float32Array.from(pixels) };
}

function readGroundTruth(queryCount: number): Int32Array {
  const raw = gunzipSync(
    readFileSync(new URL("fashion-mnist-784-euclidean.test.gt100.neighbors.ivecs.gz", DATA_DIR)),
  );
  const ints = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const out = new Int32Array(queryCount * GROUND_TRUTH_K);
  for (let q = 0; q < queryCount; q++) {
    const at = q * (GROUND_TRUTH_K + 1);
    if (ints[at] !== GROUND_TRUTH_K) throw new Error("ground truth rows must have k=100");
    out.set(ints.subarray(at + 1, at + 1 + GROUND_TRUTH_K), q * GROUND_TRUTH_K);
  }
  return out;
}

/** The whole base set (the ground truth is over all of it) and the first `queries` queries. */
export function loadFashionMnist(queries = 10_000): FashionMnist {
  const base = readImages("train-images-idx3-ubyte.gz", Number.POSITIVE_INFINITY);
  const test = readImages("t10k-images-idx3-ubyte.gz", queries);
  return {
    dim: base.dim,
    baseCount: base.count,
    queryCount: test.count,
    base: base.data,
    queries: test.data,
    neighbours: readGroundTruth(test.count),
  };
}

export const FASHION_MNIST_GROUND_TRUTH_K = GROUND_TRUTH_K;
