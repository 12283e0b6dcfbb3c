// Which nodes may enter a search's results. Excluded and deleted nodes are still traversed,
// so a filter never disconnects the graph; it only stops them from taking result slots.

import { allowLabel } from "./host";
import { isDeleted, labelOf } from "./layout";

// Bit flags; a search may combine an exclusion set with a predicate.
export const FILTER_NONE: i32 = 0;
export const FILTER_EXCLUDED: i32 = 1;
export const FILTER_PREDICATE: i32 = 2;

let mode: i32 = FILTER_NONE;
let bits: usize = 0;
let bitBytes: usize = 0;

export function reserveFilter(capacity: u32): void {
  const n = (<usize>capacity + 7) >> 3;
  if (n <= bitBytes) return;
  bits = bits === 0 ? heap.alloc(n) : heap.realloc(bits, n);
  memory.fill(bits + bitBytes, 0, n - bitBytes);
  bitBytes = n;
}

export function setFilterMode(m: i32): void {
  mode = m;
}

export function setExcluded(nodes: usize, n: i32, excluded: bool): void {
  for (let i = 0; i < n; i++) {
    const node = load<u32>(nodes + ((<usize>i) << 2));
    const p = bits + (<usize>node >> 3);
    const mask = <u8>(1 << (<u8>(node & 7)));
    store<u8>(p, excluded ? load<u8>(p) | mask : load<u8>(p) & ~mask);
  }
}

export function admits(node: u32): bool {
  if (isDeleted(node)) return false;
  if (mode & FILTER_EXCLUDED) {
    if ((load<u8>(bits + (<usize>node >> 3)) & ((<u8>1) << (<u8>(node & 7)))) !== 0) return false;
  }
  if (mode & FILTER_PREDICATE) return allowLabel(labelOf(node));
  return true;
}
