import { IndexError } from "./errors";
import {
  FILTER_EXCLUDED,
  FILTER_PREDICATE,
  type HnswExports,
  instantiate,
  LOAD_BAD_CHECKSUM,
  LOAD_BAD_HEADER,
  LOAD_BAD_LENGTH,
  LOAD_BAD_MAGIC,
  LOAD_BAD_VERSION,
  LOAD_OK,
  type PredicateSlot,
} from "./hnsw-instance";
import type {
  IndexOptions,
  KnnIndex,
  KnnIndexFactory,
  Metric,
  SearchHit,
  SearchOptions,
} from "./knn-index";
import {
  checkBatch,
  checkLabel,
  checkPositiveInteger,
  checkVector,
  metricFromId,
  metricId,
} from "./vector-input";

const DEFAULT_M = 16;
const DEFAULT_EF_CONSTRUCTION = 200;
const DEFAULT_CAPACITY = 1024;
const DEFAULT_SEED = 100;
const DEFAULT_EF_SEARCH = 64;

/**
 * An HNSW index (Malkov & Yashunin) running in its own WebAssembly instance. Runs in Node and
 * in workerd; pass the compiled `build/hnsw.wasm` module.
 *
 * @example
 * const index = HnswIndex.create(module, { dim: 128, metric: "cosine", capacity: 10_000 });
 * index.add(42, embedding);
 * const hits = index.search(userEmbedding, 10, { exclude: seenVideoIds });
 */
export class HnswIndex implements KnnIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  /** Beam width used when `search` is not given one. */
  efSearch: number;
  private readonly wasm: HnswExports;
  private readonly predicate: PredicateSlot;
  private readonly slots: Map<number, number>;
  private buffer: ArrayBuffer;
  private f32: Float32Array;
  private u32: Uint32Array;

  private constructor(
    wasm: HnswExports,
    predicate: PredicateSlot,
    slots: Map<number, number>,
    efSearch: number,
  ) {
    this.wasm = wasm;
    this.predicate = predicate;
    this.slots = slots;
    this.efSearch = efSearch;
    this.dim = wasm.dimension();
    this.metric = metricFromId(wasm.metricId());
    this.M = wasm.neighbours();
    this.efConstruction = wasm.constructionEf();
    this.buffer = wasm.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
  }

  static create(module: WebAssembly.Module, options: IndexOptions): HnswIndex {
    const M = options.M ?? DEFAULT_M;
    const efConstruction = options.efConstruction ?? DEFAULT_EF_CONSTRUCTION;
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    const seed = options.seed ?? DEFAULT_SEED;
    checkPositiveInteger("dim", options.dim, 65536);
    checkPositiveInteger("M", M, 1024);
    if (M < 2) throw new IndexError("INDEX.INVALID_ARGUMENT", "M must be at least 2");
    checkPositiveInteger("efConstruction", efConstruction, 1 << 20);
    checkPositiveInteger("capacity", capacity, 0xffffffff);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new IndexError("INDEX.INVALID_ARGUMENT", "seed must be an integer in [0, 2^32)");
    }
    const predicate: PredicateSlot = { accept: undefined };
    const wasm = instantiate(module, predicate);
    wasm.create(options.dim, metricId(options.metric), M, efConstruction, 0, seed);
    const index = new HnswIndex(wasm, predicate, new Map(), options.efSearch ?? DEFAULT_EF_SEARCH);
    index.resize(capacity);
    return index;
  }

  /** Loads bytes written by `serialize`, in this process or any other. */
  static deserialize(
    module: WebAssembly.Module,
    bytes: Uint8Array,
    options: { efSearch?: number } = {},
  ): HnswIndex {
    const predicate: PredicateSlot = { accept: undefined };
    const wasm = instantiate(module, predicate);
    const ptr = wasm.allocate(bytes.length);
    new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
    const status = wasm.deserialize(ptr, bytes.length);
    wasm.release(ptr);
    if (status !== LOAD_OK) throw snapshotError(status);
    const slots = new Map<number, number>();
    const index = new HnswIndex(wasm, predicate, slots, options.efSearch ?? DEFAULT_EF_SEARCH);
    const count = wasm.slotCount();
    for (let slot = 0; slot < count; slot++) {
      if (wasm.isDeletedSlot(slot)) continue;
      const label = index.labelAt(slot);
      if (slots.has(label)) {
        throw new IndexError("INDEX.SNAPSHOT_CORRUPT", `snapshot holds label ${label} twice`);
      }
      slots.set(label, slot);
    }
    return index;
  }

  get size(): number {
    return this.slots.size;
  }

  get capacity(): number {
    return this.wasm.slotCapacity();
  }

  /** Bytes of WebAssembly memory this index holds (its heap, including free space). */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  has(label: number): boolean {
    return this.slots.has(label);
  }

  labels(): number[] {
    return [...this.slots.keys()];
  }

  add(label: number, vector: ArrayLike<number>): void {
    checkLabel(label);
    checkVector(vector, this.dim);
    this.ensureRoom(1);
    if (this.slots.has(label)) {
      throw new IndexError("INDEX.DUPLICATE_LABEL", `label ${label} is already in the index`);
    }
    this.insert(label, vector);
  }

  addMany(labels: ArrayLike<number>, vectors: Float32Array): void {
    checkBatch(labels, vectors, this.dim);
    this.ensureRoom(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] as number;
      if (this.slots.has(label)) {
        throw new IndexError("INDEX.DUPLICATE_LABEL", `label ${label} is already in the index`);
      }
    }
    for (let i = 0; i < labels.length; i++) {
      this.insert(labels[i] as number, vectors.subarray(i * this.dim, (i + 1) * this.dim));
    }
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dim, "query");
    if (!Number.isInteger(k) || k < 0) {
      throw new IndexError("INDEX.INVALID_ARGUMENT", "k must be a non-negative integer");
    }
    const ef = options.ef ?? this.efSearch;
    if (!Number.isInteger(ef) || ef < 1) {
      throw new IndexError("INDEX.INVALID_ARGUMENT", "ef must be a positive integer");
    }
    let mode = 0;
    let excluded = 0;
    if (options.exclude !== undefined) {
      excluded = this.writeExclusions(options.exclude);
      mode |= FILTER_EXCLUDED;
    }
    if (options.accept !== undefined) mode |= FILTER_PREDICATE;
    this.refreshViews();
    this.f32.set(query as ArrayLike<number>, this.wasm.vectorBuffer() >>> 2);
    this.predicate.accept = options.accept;
    // More results than slots cannot exist; the clamp keeps the result buffers small.
    const wanted = Math.min(k, this.wasm.slotCount());
    let n: number;
    try {
      n = this.wasm.search(wanted, ef, mode, excluded);
    } catch (error) {
      this.wasm.clearFilter(excluded);
      throw error;
    } finally {
      this.predicate.accept = undefined;
    }
    this.refreshViews();
    const labelsAt = this.wasm.resultLabelsPtr() >>> 2;
    const distancesAt = this.wasm.resultDistancesPtr() >>> 2;
    const hits: SearchHit[] = new Array(n);
    for (let i = 0; i < n; i++) {
      hits[i] = {
        label: this.u32[labelsAt + i] as number,
        distance: this.f32[distancesAt + i] as number,
      };
    }
    return hits;
  }

  remove(label: number): void {
    const slot = this.slotOf(label);
    this.wasm.markDeleted(slot);
    this.slots.delete(label);
  }

  /** A zero-copy view into the index's memory; the next add, resize or search invalidates it. */
  vector(label: number): Float32Array {
    const slot = this.slotOf(label);
    this.refreshViews();
    const at = this.wasm.layoutData0() + slot * this.wasm.layoutNodeBytes();
    return new Float32Array(this.buffer, at + this.wasm.layoutVectorOffset(), this.dim);
  }

  resize(capacity: number): void {
    checkPositiveInteger("capacity", capacity, 0xffffffff);
    if (capacity < this.wasm.slotCount()) {
      throw new IndexError(
        "INDEX.INVALID_ARGUMENT",
        `capacity ${capacity} is below the ${this.wasm.slotCount()} slots in use`,
      );
    }
    if (capacity > this.wasm.maxCapacity()) {
      throw new IndexError(
        "INDEX.CAPACITY_EXHAUSTED",
        `at dim ${this.dim} one index holds at most ${this.wasm.maxCapacity()} items`,
      );
    }
    try {
      this.wasm.resize(capacity);
    } catch (error) {
      throw outOfMemory(error);
    }
    this.refreshViews();
  }

  serialize(): Uint8Array {
    const length = this.wasm.serializedBytes();
    const ptr = this.wasm.serialize();
    const bytes = new Uint8Array(this.wasm.memory.buffer, ptr, length).slice();
    this.wasm.release(ptr);
    return bytes;
  }

  private ensureRoom(n: number): void {
    const free = this.wasm.slotCapacity() - this.wasm.slotCount() + this.wasm.deletedSlots();
    if (n > free) {
      throw new IndexError(
        "INDEX.CAPACITY_EXHAUSTED",
        `no room for ${n} more items (capacity ${this.capacity}); call resize`,
      );
    }
  }

  private insert(label: number, vector: ArrayLike<number>): void {
    this.refreshViews();
    this.f32.set(vector, this.wasm.vectorBuffer() >>> 2);
    let slot: number;
    try {
      slot = this.wasm.add(label);
    } catch (error) {
      throw outOfMemory(error);
    }
    this.slots.set(label, slot);
  }

  private writeExclusions(labels: Iterable<number>): number {
    const slots: number[] = [];
    for (const label of labels) {
      const slot = this.slots.get(label);
      if (slot !== undefined) slots.push(slot);
    }
    const at = this.wasm.exclusionBuffer(slots.length) >>> 2;
    this.refreshViews();
    this.u32.set(slots, at);
    return slots.length;
  }

  private slotOf(label: number): number {
    const slot = this.slots.get(label);
    if (slot === undefined) {
      throw new IndexError("INDEX.UNKNOWN_LABEL", `label ${label} is not in the index`);
    }
    return slot;
  }

  private labelAt(slot: number): number {
    this.refreshViews();
    const at = this.wasm.layoutData0() + slot * this.wasm.layoutNodeBytes();
    return this.u32[(at + this.wasm.layoutVectorOffset()) / 4 + this.dim] as number;
  }

  // Growing WebAssembly memory detaches the old ArrayBuffer and every view over it.
  private refreshViews(): void {
    if (this.buffer === this.wasm.memory.buffer) return;
    this.buffer = this.wasm.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
  }
}

function snapshotError(status: number): IndexError {
  switch (status) {
    case LOAD_BAD_MAGIC:
      return new IndexError("INDEX.SNAPSHOT_CORRUPT", "not an edgefeed HNSW snapshot (bad magic)");
    case LOAD_BAD_VERSION:
      return new IndexError("INDEX.SNAPSHOT_VERSION", "snapshot format version is not supported");
    case LOAD_BAD_LENGTH:
      return new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot is truncated or has extra bytes");
    case LOAD_BAD_CHECKSUM:
      return new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot checksum does not match");
    case LOAD_BAD_HEADER:
      return new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot header has invalid parameters");
    default:
      return new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot graph is inconsistent");
  }
}

// The module traps only when WebAssembly memory cannot grow (4 GiB, or the host's limit).
function outOfMemory(error: unknown): unknown {
  if (!(error instanceof WebAssembly.RuntimeError)) return error;
  return new IndexError(
    "INDEX.CAPACITY_EXHAUSTED",
    `WebAssembly memory exhausted: ${error.message}`,
  );
}

/** Adapts `HnswIndex` to the conformance suite and to code that takes any `KnnIndexFactory`. */
export function hnswFactory(module: WebAssembly.Module, defaults: Partial<IndexOptions> = {}) {
  return {
    name: "hnsw (wasm)",
    create: (options: IndexOptions) => HnswIndex.create(module, { ...defaults, ...options }),
    deserialize: (bytes: Uint8Array) => HnswIndex.deserialize(module, bytes),
  } satisfies KnnIndexFactory;
}
