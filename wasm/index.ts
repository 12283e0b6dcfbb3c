export { BruteForceIndex, bruteForceFactory } from "./brute-force-index";
export { IndexError, type IndexErrorCode } from "./errors";
export { HnswIndex, hnswFactory } from "./hnsw-index";
export type {
  IndexOptions,
  KnnIndex,
  KnnIndexFactory,
  Metric,
  SearchHit,
  SearchOptions,
} from "./knn-index";
export { type CompactionInput, compactSnapshots, TwoTierIndex } from "./two-tier-index";
