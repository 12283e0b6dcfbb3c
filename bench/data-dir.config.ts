import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  FASHION_MNIST_FILES,
  type FashionMnist,
  loadFashionMnist,
  missingFashionMnistFiles,
} from "../wasm/testing/fashion-mnist.node.js";
import { loadFashionMnistSubset } from "../wasm/testing/fashion-mnist-subset.node.js";

// The one place the benchmarks learn where the large public data sets live: EDGEFEED_DATA_DIR,
// or data/ at the repository root (git-ignored apart from data/README.md, which lists the files
// and where they come from). Nothing in the repository needs them to build or test.
const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const FROM_ENV = process.env.EDGEFEED_DATA_DIR;
export const DATA_DIR = resolve(FROM_ENV || join(REPO_ROOT, "data"));

export const MICROLENS_FILES = { pairs: "MicroLens-50k_pairs.tsv" } as const;

function where(folder: string, files: readonly string[]): string {
  const source = FROM_ENV ? `EDGEFEED_DATA_DIR=${FROM_ENV}` : "the default data/";
  const them = files.length === 1 ? "it" : "them";
  return (
    `${join(DATA_DIR, folder)} (${source}) lacks ${files.join(", ")}. ` +
    `Put ${them} in data/${folder}/ at the repository root, or point EDGEFEED_DATA_DIR at a ` +
    `folder holding ${folder}/ (data/README.md lists the files and their sources)`
  );
}

export interface FashionMnistRun {
  data: FashionMnist;
  /** "fashion-mnist" for the full set, "fashion-mnist-subset" for the committed one. */
  name: string;
}

/**
 * The full Fashion-MNIST with its first `queries` queries, or, when it is not there, the
 * committed 5,000 × 784 subset, saying so: a quick run whose figures do not compare with the
 * full set's.
 */
export function fashionMnistOrSubset(bench: string, queries: number): FashionMnistRun {
  const dir = join(DATA_DIR, "fashion-mnist");
  const missing = missingFashionMnistFiles(dir);
  if (missing.length === 0) {
    const data = loadFashionMnist(dir, queries);
    if (data.k === 0) {
      console.error(
        `${bench}: no ${FASHION_MNIST_FILES.neighbours} in ${dir}; computing the exact ` +
          "neighbours by brute force (slower)",
      );
    }
    return { data, name: "fashion-mnist" };
  }
  const data = loadFashionMnistSubset(queries);
  console.error(
    `${bench}: ${where("fashion-mnist", missing)}. Running on the committed subset instead ` +
      `(${data.baseCount} × ${data.dim}, ${data.queryCount} queries): a quick run, not ` +
      "comparable with full-set figures.",
  );
  return { data, name: "fashion-mnist-subset" };
}

/** The MicroLens-50K pairs file; without it the process exits 1 with what to put where. */
export function requireMicroLensPairs(bench: string): string {
  const path = join(DATA_DIR, "microlens-50k", MICROLENS_FILES.pairs);
  if (!existsSync(path)) {
    console.error(`${bench}: ${where("microlens-50k", [MICROLENS_FILES.pairs])}.`);
    process.exit(1);
  }
  return path;
}
