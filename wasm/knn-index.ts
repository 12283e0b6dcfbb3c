import type { IndexErrorCode } from "./errors";

export type Metric = "l2" | "ip" | "cosine";

export interface IndexOptions {
  dim: number;
  metric: Metric;
  /** Links per node on upper layers; layer 0 gets 2·M. Default 16. */
  M?: number;
  /** Beam width while inserting. Default 200. */
  efConstruction?: number;
  /** Slots reserved up front; `resize` grows it. Default 1024. */
  capacity?: number;
  /** Seeds the level generator, so equal inputs build equal graphs. Default 100. */
  seed?: number;
  /** Beam width for searches that do not pass one. Default 64. */
  efSearch?: number;
}

export interface SearchOptions {
  /** Beam width; raised to k when smaller. */
  ef?: number;
  /** Labels that must not be returned. Labels this index does not hold are ignored. */
  exclude?: Iterable<number>;
  /** Returns false for labels that must not be returned. Must not call back into the index. */
  accept?: (label: number) => boolean;
}

/** Squared L2, or 1 − ⟨q,v⟩ for "ip" and "cosine": smaller is nearer for every metric. */
export interface SearchHit {
  label: number;
  distance: number;
}

/** What every k-NN index here offers; `knn.case.ts` holds the expectations. */
export interface KnnIndex {
  readonly dim: number;
  readonly metric: Metric;
  /** Live (not deleted) items. */
  readonly size: number;
  readonly capacity: number;
  add(label: number, vector: ArrayLike<number>): void;
  /** `vectors` holds `labels.length` rows of `dim` values. Validated whole before any insert. */
  addMany(labels: ArrayLike<number>, vectors: Float32Array): void;
  search(query: ArrayLike<number>, k: number, options?: SearchOptions): SearchHit[];
  has(label: number): boolean;
  /** Tombstones the item; its slot is reused by a later add. */
  remove(label: number): void;
  /** The stored vector (normalised for "cosine"). May be a view that the next write invalidates. */
  vector(label: number): Float32Array;
  labels(): number[];
  resize(capacity: number): void;
  serialize(): Uint8Array;
}

export interface KnnIndexFactory {
  readonly name: string;
  create(options: IndexOptions): KnnIndex;
  deserialize(bytes: Uint8Array): KnnIndex;
}

export type { IndexErrorCode };
