import { crc32 } from "./crc32";
import { IndexError } from "./errors";
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

// "EFBF", v1: header [magic u32][version u16][metric u16][dim u32][capacity u32][count u32],
// then per slot [label u32][deleted u32][dim × f32], then CRC-32 of everything before it.
const MAGIC = 0x46424645;
const VERSION = 1;
const HEADER_BYTES = 20;

/**
 * Exact search by scanning every vector: the reference the HNSW index is tested against.
 * Same semantics (slot reuse, capacity, filters, distances) with none of the approximation.
 */
export class BruteForceIndex implements KnnIndex {
  readonly dim: number;
  readonly metric: Metric;
  private data: Float32Array;
  private slotLabels: Uint32Array;
  private deleted: Uint8Array;
  private used = 0;
  private readonly free: number[] = [];
  private readonly slots = new Map<number, number>();

  constructor(options: IndexOptions) {
    checkPositiveInteger("dim", options.dim, 65536);
    metricId(options.metric);
    const capacity = options.capacity ?? 1024;
    checkPositiveInteger("capacity", capacity, 0xffffffff);
    this.dim = options.dim;
    this.metric = options.metric;
    this.data = new Float32Array(capacity * this.dim);
    this.slotLabels = new Uint32Array(capacity);
    this.deleted = new Uint8Array(capacity);
  }

  static deserialize(bytes: Uint8Array): BruteForceIndex {
    if (bytes.length < HEADER_BYTES + 4) {
      throw new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot is truncated");
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== MAGIC) {
      throw new IndexError("INDEX.SNAPSHOT_CORRUPT", "not an edgefeed brute-force snapshot");
    }
    if (view.getUint16(4, true) !== VERSION) {
      throw new IndexError("INDEX.SNAPSHOT_VERSION", "snapshot format version is not supported");
    }
    const dim = view.getUint32(8, true);
    const capacity = view.getUint32(12, true);
    const count = view.getUint32(16, true);
    if (bytes.length !== HEADER_BYTES + count * (8 + 4 * dim) + 4 || count > capacity) {
      throw new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot is truncated or has extra bytes");
    }
    if (view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) {
      throw new IndexError("INDEX.SNAPSHOT_CORRUPT", "snapshot checksum does not match");
    }
    const index = new BruteForceIndex({
      dim,
      metric: metricFromId(view.getUint16(6, true)),
      capacity,
    });
    let at = HEADER_BYTES;
    for (let slot = 0; slot < count; slot++) {
      const label = view.getUint32(at, true);
      const deleted = view.getUint32(at + 4, true) !== 0;
      for (let j = 0; j < dim; j++)
        index.data[slot * dim + j] = view.getFloat32(at + 8 + 4 * j, true);
      at += 8 + 4 * dim;
      index.slotLabels[slot] = label;
      index.used++;
      if (deleted) {
        index.deleted[slot] = 1;
        index.free.push(slot);
      } else if (index.slots.has(label)) {
        throw new IndexError("INDEX.SNAPSHOT_CORRUPT", `snapshot holds label ${label} twice`);
      } else {
        index.slots.set(label, slot);
      }
    }
    return index;
  }

  get size(): number {
    return this.slots.size;
  }

  get capacity(): number {
    return this.slotLabels.length;
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
    this.insert(label, vector);
  }

  addMany(labels: ArrayLike<number>, vectors: Float32Array): void {
    checkBatch(labels, vectors, this.dim);
    this.ensureRoom(labels.length);
    for (let i = 0; i < labels.length; i++) {
      if (this.slots.has(labels[i] as number)) throw duplicate(labels[i] as number);
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
    const q = Float32Array.from(query);
    if (this.metric === "cosine") normalise(q);
    const excluded = new Set(options.exclude ?? []);
    const hits: SearchHit[] = [];
    for (const [label, slot] of this.slots) {
      if (excluded.has(label) || (options.accept !== undefined && !options.accept(label))) continue;
      hits.push({ label, distance: this.distance(q, slot) });
    }
    hits.sort((a, b) => a.distance - b.distance || a.label - b.label);
    return hits.slice(0, k);
  }

  remove(label: number): void {
    const slot = this.slots.get(label);
    if (slot === undefined) {
      throw new IndexError("INDEX.UNKNOWN_LABEL", `label ${label} is not in the index`);
    }
    this.deleted[slot] = 1;
    this.free.push(slot);
    this.slots.delete(label);
  }

  vector(label: number): Float32Array {
    const slot = this.slots.get(label);
    if (slot === undefined) {
      throw new IndexError("INDEX.UNKNOWN_LABEL", `label ${label} is not in the index`);
    }
    return this.data.subarray(slot * this.dim, (slot + 1) * this.dim);
  }

  resize(capacity: number): void {
    checkPositiveInteger("capacity", capacity, 0xffffffff);
    if (capacity < this.used) {
      throw new IndexError(
        "INDEX.INVALID_ARGUMENT",
        `capacity ${capacity} is below the ${this.used} slots in use`,
      );
    }
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data.subarray(0, this.used * this.dim));
    const labels = new Uint32Array(capacity);
    labels.set(this.slotLabels.subarray(0, this.used));
    const deleted = new Uint8Array(capacity);
    deleted.set(this.deleted.subarray(0, this.used));
    this.data = data;
    this.slotLabels = labels;
    this.deleted = deleted;
  }

  serialize(): Uint8Array {
    const bytes = new Uint8Array(HEADER_BYTES + this.used * (8 + 4 * this.dim) + 4);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint16(4, VERSION, true);
    view.setUint16(6, metricId(this.metric), true);
    view.setUint32(8, this.dim, true);
    view.setUint32(12, this.capacity, true);
    view.setUint32(16, this.used, true);
    let at = HEADER_BYTES;
    for (let slot = 0; slot < this.used; slot++) {
      view.setUint32(at, this.slotLabels[slot] as number, true);
      view.setUint32(at + 4, this.deleted[slot] as number, true);
      for (let j = 0; j < this.dim; j++) {
        view.setFloat32(at + 8 + 4 * j, this.data[slot * this.dim + j] as number, true);
      }
      at += 8 + 4 * this.dim;
    }
    view.setUint32(at, crc32(bytes.subarray(0, at)), true);
    return bytes;
  }

  private ensureRoom(n: number): void {
    if (n > this.capacity - this.used + this.free.length) {
      throw new IndexError(
        "INDEX.CAPACITY_EXHAUSTED",
        `no room for ${n} more items (capacity ${this.capacity}); call resize`,
      );
    }
  }

  private insert(label: number, vector: ArrayLike<number>): void {
    if (this.slots.has(label)) throw duplicate(label);
    const slot = this.free.pop() ?? this.used++;
    const row = this.data.subarray(slot * this.dim, (slot + 1) * this.dim);
    row.set(vector);
    if (this.metric === "cosine") normalise(row);
    this.slotLabels[slot] = label;
    this.deleted[slot] = 0;
    this.slots.set(label, slot);
  }

  private distance(q: Float32Array, slot: number): number {
    const base = slot * this.dim;
    let sum = 0;
    if (this.metric === "l2") {
      for (let j = 0; j < this.dim; j++) {
        const d = (q[j] as number) - (this.data[base + j] as number);
        sum += d * d;
      }
      return Math.fround(sum);
    }
    for (let j = 0; j < this.dim; j++) sum += (q[j] as number) * (this.data[base + j] as number);
    return Math.fround(1 - sum);
  }
}

function duplicate(label: number): IndexError {
  return new IndexError("INDEX.DUPLICATE_LABEL", `label ${label} is already in the index`);
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) return;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
}

export const bruteForceFactory: KnnIndexFactory = {
  name: "brute force",
  create: (options) => new BruteForceIndex(options),
  deserialize: (bytes) => BruteForceIndex.deserialize(bytes),
};
