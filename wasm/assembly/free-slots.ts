// Tombstoned slots waiting to be reused by the next insert, last deleted first.

let stack: usize = 0;
let cap: u32 = 0;
export let freeCount: u32 = 0;

export function pushFree(node: u32): void {
  if (freeCount === cap) {
    cap = cap === 0 ? 64 : cap << 1;
    stack = stack === 0 ? heap.alloc((<usize>cap) << 2) : heap.realloc(stack, (<usize>cap) << 2);
  }
  store<u32>(stack + ((<usize>freeCount) << 2), node);
  freeCount++;
}

export function popFree(): u32 {
  freeCount--;
  return load<u32>(stack + ((<usize>freeCount) << 2));
}
