// One-off: cuts the committed Fashion-MNIST subset out of the full set and computes its exact
// neighbours. `npx tsx wasm/testing/fashion-mnist-subset.make.ts --from <dir of the full set>`
// (the folder holding train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz).
// Re-running it on the same files writes the same bytes.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  FASHION_MNIST_FILES,
  missingFashionMnistFiles,
  readIdxImages,
  readIvecs,
} from "./fashion-mnist.node.js";
import { encodeSubset, FASHION_MNIST_SUBSET_URL } from "./fashion-mnist-subset.node.js";

const BASE_COUNT = 5000;
const QUERY_COUNT = 500;
const K = 100;
// sha256 of the decompressed upstream image files (Fashion-MNIST, zalandoresearch 55506a9).
const SOURCE_SHA256: Record<string, string> = {
  [FASHION_MNIST_FILES.base]: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  [FASHION_MNIST_FILES.queries]: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
};

const { values } = parseArgs({ options: { from: { type: "string" } } });
if (values.from === undefined) {
  console.error(
    "usage: tsx wasm/testing/fashion-mnist-subset.make.ts --from <dir of the full set>",
  );
  process.exit(2);
}
const from = values.from;
const missing = missingFashionMnistFiles(from);
if (missing.length > 0) {
  console.error(`${from} lacks ${missing.join(", ")} (Fashion-MNIST's IDX image files)`);
  process.exit(1);
}

function readChecked(file: string, limit: number) {
  const path = join(from, file);
  const sha = createHash("sha256")
    .update(gunzipSync(readFileSync(path)))
    .digest("hex");
  if (sha !== SOURCE_SHA256[file]) throw new Error(`${path}: sha256 ${sha} is not upstream's`);
  const images = readIdxImages(path, limit);
  return { dim: images.dim, pixels: images.pixels };
}

const base = readChecked(FASHION_MNIST_FILES.base, BASE_COUNT);
const queries = readChecked(FASHION_MNIST_FILES.queries, QUERY_COUNT);
const { dim } = base;

// Brute force with exact integer squared distances (at most 784 · 255² < 2^26), top K ordered by
// (distance, base index): the full set's ground truth breaks ties the same way.
const neighbours = new Uint32Array(QUERY_COUNT * K);
const dist = new Float64Array(BASE_COUNT);
let tiesAt10 = 0;
let zeroDistance = 0;
for (let q = 0; q < QUERY_COUNT; q++) {
  const qo = q * dim;
  for (let i = 0; i < BASE_COUNT; i++) {
    const bo = i * dim;
    let d = 0;
    for (let j = 0; j < dim; j++) {
      const diff = (base.pixels[bo + j] as number) - (queries.pixels[qo + j] as number);
      d += diff * diff;
    }
    dist[i] = d;
  }
  const order = Uint32Array.from({ length: BASE_COUNT }, (_, i) => i).sort(
    (a, b) => (dist[a] as number) - (dist[b] as number) || a - b,
  );
  neighbours.set(order.subarray(0, K), q * K);
  if (dist[order[9] as number] === dist[order[10] as number]) tiesAt10++;
  if (dist[order[0] as number] === 0) zeroDistance++;
}

// Cross-check against the full set's truth where it exists: its neighbours that lie in the
// subset's base, in order, must be the start of the subset's own list.
const truthPath = join(from, FASHION_MNIST_FILES.neighbours);
let checked = "no full ground truth beside the images: not cross-checked";
if (existsSync(truthPath)) {
  const full = readIvecs(truthPath, QUERY_COUNT);
  let compared = 0;
  for (let q = 0; q < QUERY_COUNT; q++) {
    const inSubset = Array.from(full.values.subarray(q * full.k, (q + 1) * full.k)).filter(
      (label) => label < BASE_COUNT,
    );
    inSubset.forEach((label, i) => {
      if (neighbours[q * K + i] !== label) {
        throw new Error(
          `query ${q}: neighbour ${i} is ${neighbours[q * K + i]}, full truth ${label}`,
        );
      }
    });
    compared += inSubset.length;
  }
  checked = `${compared} neighbours agree with the full set's top-${full.k}`;
}

const file = encodeSubset({
  dim,
  baseCount: BASE_COUNT,
  queryCount: QUERY_COUNT,
  k: K,
  base: base.pixels,
  queries: queries.pixels,
  neighbours,
});
const gz = gzipSync(file, { level: 9 });
writeFileSync(FASHION_MNIST_SUBSET_URL, gz);
console.log(
  `wrote ${FASHION_MNIST_SUBSET_URL.pathname}: ${BASE_COUNT} base + ${QUERY_COUNT} queries × ${dim}, ` +
    `top-${K}; ${file.byteLength} bytes, ${gz.byteLength} gzip'd, ` +
    `sha256 ${createHash("sha256").update(gz).digest("hex")}`,
);
console.log(
  `${tiesAt10} queries tie between their 10th and 11th neighbour, ${zeroDistance} have a ` +
    `distance-0 neighbour; ${checked}`,
);
