// The raw exports of build/hnsw.wasm (wasm/assembly/index.ts) and one instance per index, so
// an index's memory is released with it and two indexes never share a heap.

export interface HnswExports {
  readonly memory: WebAssembly.Memory;
  create(dim: number, metric: number, M: number, efC: number, capacity: number, seed: number): void;
  maxCapacity(): number;
  resize(capacity: number): void;
  vectorBuffer(): number;
  add(label: number): number;
  markDeleted(slot: number): void;
  exclusionBuffer(n: number): number;
  resultLabelsPtr(): number;
  resultDistancesPtr(): number;
  search(k: number, ef: number, filterMode: number, excluded: number): number;
  clearFilter(excluded: number): void;
  slotCount(): number;
  slotCapacity(): number;
  deletedSlots(): number;
  isDeletedSlot(slot: number): number;
  layoutData0(): number;
  layoutNodeBytes(): number;
  layoutVectorOffset(): number;
  dimension(): number;
  metricId(): number;
  neighbours(): number;
  constructionEf(): number;
  allocate(bytes: number): number;
  release(ptr: number): void;
  serializedBytes(): number;
  serialize(): number;
  deserialize(ptr: number, len: number): number;
}

export const FILTER_EXCLUDED = 1;
export const FILTER_PREDICATE = 2;

export const LOAD_OK = 0;
export const LOAD_BAD_MAGIC = 1;
export const LOAD_BAD_VERSION = 2;
export const LOAD_BAD_LENGTH = 3;
export const LOAD_BAD_CHECKSUM = 4;
export const LOAD_BAD_HEADER = 5;

/** Holds the predicate of the search in progress; the module calls it through its import. */
export interface PredicateSlot {
  accept: ((label: number) => boolean) | undefined;
}

export function instantiate(module: WebAssembly.Module, slot: PredicateSlot): HnswExports {
  const imports = {
    host: {
      // The module passes u32 labels as i32; >>> 0 restores labels above 2^31.
      allowLabel: (label: number): number => (slot.accept?.(label >>> 0) ? 1 : 0),
    },
  };
  return new WebAssembly.Instance(module, imports).exports as unknown as HnswExports;
}
