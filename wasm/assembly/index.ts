// The module's exports: one instance holds one index, so its state lives in module globals and
// the host passes vectors and reads results through buffers in this instance's memory.

import { normalise } from "./distance";
import { FILTER_NONE, reserveFilter, setExcluded, setFilterMode } from "./filter";
import { freeCount, popFree, pushFree } from "./free-slots";
import { insertNew, reserveScratch, reuseSlot } from "./insert";
import {
  capacity,
  configure,
  count,
  data0,
  dim,
  efConstruction,
  entryPoint,
  isDeleted,
  labelOf,
  links0Bytes,
  METRIC_COSINE,
  maxLevel,
  maxM,
  metric,
  NO_NODE,
  nodeBytes,
  reserve,
  setCount,
  setDeleted,
} from "./layout";
import { seedLevels } from "./level-generator";
import { found, greedyDescent, searchLayer } from "./search-layer";
import { LOAD_OK, MAX_BLOCK_BYTES, readSnapshot, snapshotBytes, writeSnapshot } from "./snapshot";
import { reserveVisited } from "./visited";

const ERR_CAPACITY: i32 = -1;

let scratch: usize = 0;
let exclusion: usize = 0;
let exclusionCap: i32 = 0;
let resultLabels: usize = 0;
let resultDistances: usize = 0;
let resultCap: i32 = 0;
let deletedCount: u32 = 0;

function setup(d: i32, m: i32, neighbours: i32, efC: i32): void {
  configure(d, m, neighbours, efC);
  scratch = heap.alloc((<usize>d) << 2);
  reserveScratch();
}

// Side buffers first: if memory runs out midway, `capacity` still describes what every buffer
// can hold.
function reserveAll(n: u32): void {
  reserveVisited(n);
  reserveFilter(n);
  reserve(n);
}

export function create(
  d: i32,
  m: i32,
  neighbours: i32,
  efC: i32,
  initialCapacity: u32,
  seed: u32,
): void {
  setup(d, m, neighbours, efC);
  seedLevels(<u64>seed, neighbours);
  reserveAll(initialCapacity);
}

export function maxCapacity(): u32 {
  return <u32>(MAX_BLOCK_BYTES / <u64>nodeBytes);
}

export function resize(newCapacity: u32): void {
  reserveAll(newCapacity);
}

export function vectorBuffer(): usize {
  return scratch;
}

// Returns the slot used, or ERR_CAPACITY. Tombstoned slots are reused before new ones.
export function add(label: u32): i32 {
  if (freeCount > 0) {
    const slot = popFree();
    deletedCount--;
    reuseSlot(slot, label, scratch);
    return <i32>slot;
  }
  if (count >= capacity) return ERR_CAPACITY;
  const slot = count;
  setCount(count + 1);
  insertNew(slot, label, scratch);
  return <i32>slot;
}

export function markDeleted(slot: u32): void {
  setDeleted(slot, true);
  pushFree(slot);
  deletedCount++;
}

export function exclusionBuffer(n: i32): usize {
  if (n > exclusionCap) {
    exclusion =
      exclusion === 0 ? heap.alloc((<usize>n) << 2) : heap.realloc(exclusion, (<usize>n) << 2);
    exclusionCap = n;
  }
  return exclusion;
}

function reserveResults(k: i32): void {
  if (k <= resultCap) return;
  const bytes = (<usize>k) << 2;
  resultLabels = resultLabels === 0 ? heap.alloc(bytes) : heap.realloc(resultLabels, bytes);
  resultDistances =
    resultDistances === 0 ? heap.alloc(bytes) : heap.realloc(resultDistances, bytes);
  resultCap = k;
}

export function resultLabelsPtr(): usize {
  return resultLabels;
}

export function resultDistancesPtr(): usize {
  return resultDistances;
}

// The paper's K-NN-SEARCH over the query in the vector buffer; `excluded` slots were written to
// the exclusion buffer. Returns how many results were written, nearest first.
export function search(k: i32, ef: i32, filterMode: i32, excluded: i32): i32 {
  reserveResults(k);
  if (entryPoint === NO_NODE || k <= 0) return 0;
  if (metric === METRIC_COSINE) normalise(scratch, dim);
  setExcluded(exclusion, excluded, true);
  setFilterMode(filterMode);
  const entry = greedyDescent(scratch, entryPoint, maxLevel, 0);
  searchLayer(scratch, entry, 0, max(ef, k), true, NO_NODE);
  setFilterMode(FILTER_NONE);
  setExcluded(exclusion, excluded, false);
  while (found.size > k) found.pop();
  const n = found.size;
  for (let i = n - 1; i >= 0; i--) {
    store<u32>(resultLabels + ((<usize>i) << 2), labelOf(found.topNode()));
    store<f32>(resultDistances + ((<usize>i) << 2), found.topKey());
    found.pop();
  }
  return n;
}

// Called by the host when its predicate threw out of `search`, leaving the filter armed.
export function clearFilter(excluded: i32): void {
  setFilterMode(FILTER_NONE);
  setExcluded(exclusion, excluded, false);
}

export function slotCount(): u32 {
  return count;
}

export function slotCapacity(): u32 {
  return capacity;
}

export function deletedSlots(): u32 {
  return deletedCount;
}

export function isDeletedSlot(slot: u32): bool {
  return isDeleted(slot);
}

export function layoutData0(): usize {
  return data0;
}

export function layoutNodeBytes(): usize {
  return nodeBytes;
}

export function layoutVectorOffset(): usize {
  return links0Bytes;
}

export function dimension(): i32 {
  return dim;
}

export function metricId(): i32 {
  return metric;
}

export function neighbours(): i32 {
  return maxM;
}

export function constructionEf(): i32 {
  return efConstruction;
}

export function allocate(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function release(ptr: usize): void {
  heap.free(ptr);
}

export function serializedBytes(): f64 {
  return <f64>snapshotBytes();
}

export function serialize(): usize {
  const out = heap.alloc(<usize>snapshotBytes());
  writeSnapshot(out, deletedCount);
  return out;
}

// Into a fresh instance only. Returns a LOAD_* status; on LOAD_OK the index is ready to use.
export function deserialize(src: usize, len: usize): i32 {
  const status = readSnapshot(src, len);
  if (status !== LOAD_OK) return status;
  setup(dim, metric, load<u32>(src, 12), load<u32>(src, 20));
  reserveVisited(capacity);
  reserveFilter(capacity);
  deletedCount = 0;
  for (let i: u32 = 0; i < count; i++) {
    if (isDeleted(i)) {
      pushFree(i);
      deletedCount++;
    }
  }
  return LOAD_OK;
}
