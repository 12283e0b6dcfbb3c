// The graph's flat memory layout, after hnswlib's hnswalg.h: one level-0 block per slot,
// `[header | links…][vector][label]`, and upper-level link lists only for slots that reach them.
// The header word holds the link count in its low 16 bits and the tombstone in bit 31.

export const METRIC_L2: i32 = 0;
export const METRIC_INNER_PRODUCT: i32 = 1;
export const METRIC_COSINE: i32 = 2;

export const NO_NODE: u32 = 0xffffffff;
export const COUNT_MASK: u32 = 0xffff;
export const DELETED_FLAG: u32 = 0x80000000;
// Levels follow a geometric law with ratio 1/M, so 64 is unreachable in practice; the bound
// lets a snapshot's levels be validated.
export const MAX_LEVEL: i32 = 64;

export let dim: i32 = 0;
export let metric: i32 = METRIC_L2;
export let maxM: i32 = 0;
export let maxM0: i32 = 0;
export let efConstruction: i32 = 0;
export let capacity: u32 = 0;
export let count: u32 = 0;
export let entryPoint: u32 = NO_NODE;
export let maxLevel: i32 = -1;

export let links0Bytes: usize = 0;
export let upperListBytes: usize = 0;
export let nodeBytes: usize = 0;

export let data0: usize = 0;
export let levels: usize = 0;
export let upperLists: usize = 0;

function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

export function configure(d: i32, m: i32, neighbours: i32, efC: i32): void {
  dim = d;
  metric = m;
  maxM = neighbours;
  // The paper's M_max0 = 2·M: the bottom layer holds every node and needs the extra degree.
  maxM0 = neighbours * 2;
  efConstruction = efC;
  // Padding the header to 16 bytes keeps every vector 16-byte aligned for v128 loads.
  links0Bytes = align16((1 + <usize>maxM0) << 2);
  upperListBytes = (1 + <usize>maxM) << 2;
  nodeBytes = align16(links0Bytes + ((<usize>dim) << 2) + 4);
}

export function reserve(newCapacity: u32): void {
  const n = <usize>newCapacity;
  data0 = data0 === 0 ? heap.alloc(n * nodeBytes) : heap.realloc(data0, n * nodeBytes);
  levels = levels === 0 ? heap.alloc(n << 2) : heap.realloc(levels, n << 2);
  upperLists = upperLists === 0 ? heap.alloc(n << 2) : heap.realloc(upperLists, n << 2);
  const old = <usize>capacity;
  if (n > old) memory.fill(upperLists + (old << 2), 0, (n - old) << 2);
  capacity = newCapacity;
}

export function setCount(n: u32): void {
  count = n;
}

export function setEntryPoint(node: u32, level: i32): void {
  entryPoint = node;
  maxLevel = level;
}

export function nodeAt(node: u32): usize {
  return data0 + <usize>node * nodeBytes;
}

export function vectorOf(node: u32): usize {
  return nodeAt(node) + links0Bytes;
}

export function labelOf(node: u32): u32 {
  return load<u32>(nodeAt(node) + links0Bytes + ((<usize>dim) << 2));
}

export function setLabel(node: u32, label: u32): void {
  store<u32>(nodeAt(node) + links0Bytes + ((<usize>dim) << 2), label);
}

export function levelOf(node: u32): i32 {
  return load<i32>(levels + ((<usize>node) << 2));
}

export function upperListsOf(node: u32): usize {
  return load<u32>(upperLists + ((<usize>node) << 2));
}

// Allocates the node's upper-level lists; level-0 lives in its block already.
export function initNode(node: u32, level: i32): void {
  store<i32>(levels + ((<usize>node) << 2), level);
  store<u32>(nodeAt(node), 0);
  let lists: usize = 0;
  if (level > 0) {
    const bytes = <usize>level * upperListBytes;
    lists = heap.alloc(bytes);
    memory.fill(lists, 0, bytes);
  }
  store<u32>(upperLists + ((<usize>node) << 2), <u32>lists);
}

export function linksAt(node: u32, level: i32): usize {
  if (level === 0) return nodeAt(node);
  return upperListsOf(node) + <usize>(level - 1) * upperListBytes;
}

export function linkCount(list: usize): i32 {
  return <i32>(load<u32>(list) & COUNT_MASK);
}

export function setLinkCount(list: usize, n: i32): void {
  store<u32>(list, (load<u32>(list) & ~COUNT_MASK) | <u32>n);
}

export function linkAt(list: usize, i: i32): u32 {
  return load<u32>(list + ((1 + <usize>i) << 2));
}

export function setLinkAt(list: usize, i: i32, node: u32): void {
  store<u32>(list + ((1 + <usize>i) << 2), node);
}

export function maxLinks(level: i32): i32 {
  return level === 0 ? maxM0 : maxM;
}

export function isDeleted(node: u32): bool {
  return (load<u32>(nodeAt(node)) & DELETED_FLAG) !== 0;
}

export function setDeleted(node: u32, deleted: bool): void {
  const p = nodeAt(node);
  const header = load<u32>(p);
  store<u32>(p, deleted ? header | DELETED_FLAG : header & ~DELETED_FLAG);
}
