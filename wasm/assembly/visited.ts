// hnswlib's visited list: a u16 tag per slot compared with the current epoch, so starting a
// search costs nothing instead of clearing `capacity` flags.

let tags: usize = 0;
let tagCapacity: usize = 0;
let epoch: u16 = 0;

export function reserveVisited(capacity: u32): void {
  const n = <usize>capacity;
  if (n <= tagCapacity) return;
  tags = tags === 0 ? heap.alloc(n << 1) : heap.realloc(tags, n << 1);
  memory.fill(tags + (tagCapacity << 1), 0, (n - tagCapacity) << 1);
  tagCapacity = n;
}

export function beginVisit(): void {
  epoch++;
  if (epoch === 0) {
    memory.fill(tags, 0, tagCapacity << 1);
    epoch = 1;
  }
}

// Returns whether the node had been visited, and marks it.
export function visit(node: u32): bool {
  const p = tags + ((<usize>node) << 1);
  if (load<u16>(p) === epoch) return true;
  store<u16>(p, epoch);
  return false;
}
