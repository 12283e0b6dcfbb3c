import { IndexError } from "./errors";
import { HnswIndex } from "./hnsw-index";
import type { IndexOptions, SearchHit, SearchOptions } from "./knn-index";

/** What a compaction needs, as bytes, so it can run in another thread or process. */
export interface CompactionInput {
  base: Uint8Array;
  delta: Uint8Array;
}

/**
 * A static base index and a small hot delta (recent uploads), queried together. New items go
 * to the delta; `beginCompaction`/`finishCompaction` fold the delta into a new base built off the
 * serving path, and the caller swaps it in.
 *
 * @example
 * const tiers = TwoTierIndex.create(module, { dim: 128, metric: "cosine" }, baseSnapshot);
 * tiers.add(videoId, embedding);
 * const input = tiers.beginCompaction();
 * const next = compactSnapshots(module, input); // e.g. in a worker thread
 * tiers.finishCompaction(HnswIndex.deserialize(module, next));
 */
export class TwoTierIndex {
  private base: HnswIndex;
  private delta: HnswIndex;
  private readonly module: WebAssembly.Module;
  private removedDuringCompaction: Set<number> | undefined;

  constructor(module: WebAssembly.Module, base: HnswIndex, delta: HnswIndex) {
    if (base.dim !== delta.dim || base.metric !== delta.metric) {
      throw new IndexError("INDEX.INVALID_ARGUMENT", "base and delta differ in dim or metric");
    }
    this.module = module;
    this.base = base;
    this.delta = delta;
  }

  static create(
    module: WebAssembly.Module,
    options: IndexOptions,
    baseSnapshot?: Uint8Array,
  ): TwoTierIndex {
    const base =
      baseSnapshot === undefined
        ? HnswIndex.create(module, options)
        : HnswIndex.deserialize(module, baseSnapshot, options);
    return new TwoTierIndex(module, base, HnswIndex.create(module, deltaOptions(base)));
  }

  get size(): number {
    return this.base.size + this.delta.size;
  }

  get deltaSize(): number {
    return this.delta.size;
  }

  has(label: number): boolean {
    return this.base.has(label) || this.delta.has(label);
  }

  /** Inserts into the delta, growing it as needed. */
  add(label: number, vector: ArrayLike<number>): void {
    if (this.base.has(label)) {
      throw new IndexError("INDEX.DUPLICATE_LABEL", `label ${label} is already in the index`);
    }
    if (this.delta.size >= this.delta.capacity) this.delta.resize(this.delta.capacity * 2);
    this.delta.add(label, vector);
  }

  remove(label: number): void {
    if (this.base.has(label)) this.base.remove(label);
    else this.delta.remove(label);
    this.removedDuringCompaction?.add(label);
  }

  /** Both tiers answer with the same filter; labels are unique across tiers, so merging is a sort. */
  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    const exclude = options.exclude === undefined ? undefined : [...options.exclude];
    const tierOptions = exclude === undefined ? options : { ...options, exclude };
    const hits = this.base.search(query, k, tierOptions);
    if (this.delta.size > 0) hits.push(...this.delta.search(query, k, tierOptions));
    hits.sort((a, b) => a.distance - b.distance);
    return hits.slice(0, k);
  }

  /** Snapshots both tiers; removals from here on are replayed onto the new base. */
  beginCompaction(): CompactionInput {
    this.removedDuringCompaction = new Set();
    return { base: this.base.serialize(), delta: this.delta.serialize() };
  }

  /**
   * Swaps in a base built by `compactSnapshots`. Items added to the delta since
   * `beginCompaction` stay in it; items removed since are removed from the new base.
   */
  finishCompaction(newBase: HnswIndex): void {
    const removed = this.removedDuringCompaction;
    if (removed === undefined) {
      throw new IndexError("INDEX.INVALID_ARGUMENT", "no compaction in progress");
    }
    for (const label of removed) if (newBase.has(label)) newBase.remove(label);
    const delta = HnswIndex.create(this.module, deltaOptions(newBase));
    const pending = this.delta.labels().filter((label) => !newBase.has(label));
    if (pending.length > 0) {
      delta.resize(Math.max(delta.capacity, pending.length));
      for (const label of pending) delta.add(label, this.delta.vector(label));
    }
    this.base = newBase;
    this.delta = delta;
    this.removedDuringCompaction = undefined;
  }
}

/** The delta is built like the base, so merged distances compare and a fold keeps the graph. */
function deltaOptions(base: HnswIndex): IndexOptions {
  return {
    dim: base.dim,
    metric: base.metric,
    M: base.M,
    efConstruction: base.efConstruction,
    efSearch: base.efSearch,
    capacity: 1024,
  };
}

/**
 * Folds a delta into a copy of the base: its items fill the base's tombstoned slots first, then
 * new ones. Pure and synchronous, so it can run anywhere the module loads.
 */
export function compactSnapshots(module: WebAssembly.Module, input: CompactionInput): Uint8Array {
  const base = HnswIndex.deserialize(module, input.base);
  const delta = HnswIndex.deserialize(module, input.delta);
  const needed = base.size + delta.size;
  if (needed > base.capacity) base.resize(Math.max(needed, Math.ceil(base.capacity * 1.25)));
  for (const label of delta.labels()) base.add(label, delta.vector(label));
  return base.serialize();
}
