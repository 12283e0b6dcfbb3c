import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { FashionMnist } from "./fashion-mnist.node.js";

/** The committed subset: the first 5,000 base and 500 query vectors of Fashion-MNIST. */
export const FASHION_MNIST_SUBSET_URL = new URL(
  "./data/fashion-mnist-subset/fashion-mnist-subset.bin.gz",
  import.meta.url,
);

// "EFMS", v1, gzip'd; little-endian header [magic u32][version u32][dim u32][baseCount u32]
// [queryCount u32][k u32], then base u8 × baseCount·dim, queries u8 × queryCount·dim and
// neighbours u32 × queryCount·k (exact over the subset's base, nearest first). dim = 784 keeps
// the neighbours 4-byte aligned.
const MAGIC = 0x534d4645;
const VERSION = 1;
const HEADER_BYTES = 24;

export interface SubsetContent {
  dim: number;
  baseCount: number;
  queryCount: number;
  k: number;
  base: Uint8Array;
  queries: Uint8Array;
  neighbours: Uint32Array;
}

/** The uncompressed file: header, pixels, neighbours. */
export function encodeSubset(subset: SubsetContent): Uint8Array {
  const { dim, baseCount, queryCount, k } = subset;
  if (dim % 4 !== 0) throw new Error("dim must be a multiple of 4 to keep neighbours aligned");
  const out = new Uint8Array(HEADER_BYTES + (baseCount + queryCount) * dim + queryCount * k * 4);
  const view = new DataView(out.buffer);
  [MAGIC, VERSION, dim, baseCount, queryCount, k].forEach((value, i) => {
    view.setUint32(i * 4, value, true);
  });
  out.set(subset.base.subarray(0, baseCount * dim), HEADER_BYTES);
  out.set(subset.queries.subarray(0, queryCount * dim), HEADER_BYTES + baseCount * dim);
  const at = HEADER_BYTES + (baseCount + queryCount) * dim;
  subset.neighbours.forEach((label, i) => {
    view.setUint32(at + i * 4, label, true);
  });
  return out;
}

export function decodeSubset(bytes: Uint8Array): SubsetContent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const field = (i: number) => view.getUint32(i * 4, true);
  if (bytes.byteLength < HEADER_BYTES || field(0) !== MAGIC) {
    throw new Error("not a Fashion-MNIST subset file (magic EFMS)");
  }
  if (field(1) !== VERSION) throw new Error(`subset file version ${field(1)}, expected ${VERSION}`);
  const [dim, baseCount, queryCount, k] = [field(2), field(3), field(4), field(5)];
  const neighboursAt = HEADER_BYTES + (baseCount + queryCount) * dim;
  if (bytes.byteLength !== neighboursAt + queryCount * k * 4) {
    throw new Error("subset file length does not match its header");
  }
  const neighbours = new Uint32Array(queryCount * k);
  for (let i = 0; i < neighbours.length; i++) {
    neighbours[i] = view.getUint32(neighboursAt + i * 4, true);
  }
  return {
    dim,
    baseCount,
    queryCount,
    k,
    base: bytes.subarray(HEADER_BYTES, HEADER_BYTES + baseCount * dim),
    queries: bytes.subarray(HEADER_BYTES + baseCount * dim, neighboursAt),
    neighbours,
  };
}

/** The subset as the full set's loader returns it; `queries` caps the query count. */
export function loadFashionMnistSubset(
  queries = Number.POSITIVE_INFINITY,
  url: URL = FASHION_MNIST_SUBSET_URL,
): FashionMnist {
  const subset = decodeSubset(gunzipSync(readFileSync(url)));
  const queryCount = Math.min(subset.queryCount, queries);
  return {
    dim: subset.dim,
    baseCount: subset.baseCount,
    queryCount,
    base: Float32Array.from(subset.base),
    queries: Float32Array.from(subset.queries.subarray(0, queryCount * subset.dim)),
    k: subset.k,
    neighbours: Int32Array.from(subset.neighbours.subarray(0, queryCount * subset.k)),
  };
}
