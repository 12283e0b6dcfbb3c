import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const IMAGE_MAGIC = 2051;
const IMAGE_HEADER_BYTES = 16;

/**
 * The full set as ann-benchmarks' fashion-mnist-784-euclidean uses it: train images are the base,
 * test images the queries, L2. The two image files are upstream's IDX files; the ground truth is
 * derived (exact top-100 per query over all 60,000, ties to the smaller index) and optional.
 */
export const FASHION_MNIST_FILES = {
  base: "train-images-idx3-ubyte.gz",
  queries: "t10k-images-idx3-ubyte.gz",
  neighbours: "fashion-mnist-784-euclidean.test.gt100.neighbors.ivecs.gz",
} as const;

export interface FashionMnist {
  dim: number;
  baseCount: number;
  queryCount: number;
  /** baseCount × dim pixels, 0–255 as f32 (ann-benchmarks' fashion-mnist-784-euclidean). */
  base: Float32Array;
  queries: Float32Array;
  /** Exact neighbours per query in `neighbours` (0 when the ground-truth file is absent). */
  k: number;
  /** queryCount × k exact nearest base indices over the whole base set, nearest first. */
  neighbours: Int32Array;
}

/** The first `limit` images of an IDX file (16-byte big-endian header, then count × dim uint8). */
export function readIdxImages(
  path: string,
  limit = Number.POSITIVE_INFINITY,
): { dim: number; count: number; pixels: Uint8Array } {
  const raw = gunzipSync(readFileSync(path));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getInt32(0) !== IMAGE_MAGIC) throw new Error(`${path} is not an IDX image file`);
  const count = Math.min(view.getInt32(4), limit);
  const dim = view.getInt32(8) * view.getInt32(12);
  return { dim, count, pixels: raw.subarray(IMAGE_HEADER_BYTES, IMAGE_HEADER_BYTES + count * dim) };
}

/** A gzip'd .ivecs file (per row: int32 k, then k int32, little-endian), first `rows` rows. */
export function readIvecs(path: string, rows: number): { k: number; values: Int32Array } {
  const raw = gunzipSync(readFileSync(path));
  const ints = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const k = ints[0] ?? 0;
  const values = new Int32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    const at = row * (k + 1);
    if (ints[at] !== k) throw new Error(`${path}: row ${row} does not have k=${k}`);
    values.set(ints.subarray(at + 1, at + 1 + k), row * k);
  }
  return { k, values };
}

/** The files of FASHION_MNIST_FILES that `dir` lacks and a loader cannot do without. */
export function missingFashionMnistFiles(dir: string): string[] {
  return [FASHION_MNIST_FILES.base, FASHION_MNIST_FILES.queries].filter(
    (file) => !existsSync(join(dir, file)),
  );
}

/** The whole base set from `dir` and its first `queries` queries, with the truth if it is there. */
export function loadFashionMnist(dir: string, queries = 10_000): FashionMnist {
  const base = readIdxImages(join(dir, FASHION_MNIST_FILES.base));
  const test = readIdxImages(join(dir, FASHION_MNIST_FILES.queries), queries);
  const truthPath = join(dir, FASHION_MNIST_FILES.neighbours);
  const truth = existsSync(truthPath)
    ? readIvecs(truthPath, test.count)
    : { k: 0, values: new Int32Array(0) };
  return {
    dim: base.dim,
    baseCount: base.count,
    queryCount: test.count,
    base: Float32Array.from(base.pixels),
    queries: Float32Array.from(test.pixels),
    k: truth.k,
    neighbours: truth.values,
  };
}
