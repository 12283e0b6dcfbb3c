// A binary max-heap of (distance, node) pairs in linear memory. The beam search keeps its
// candidates in one with negated keys, as hnswlib does with std::priority_queue.

export class MaxHeap {
  keys: usize = 0;
  nodes: usize = 0;
  size: i32 = 0;
  cap: i32 = 0;

  clear(): void {
    this.size = 0;
  }

  topKey(): f32 {
    return load<f32>(this.keys);
  }

  topNode(): u32 {
    return load<u32>(this.nodes);
  }

  push(key: f32, node: u32): void {
    if (this.size === this.cap) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentKey = load<f32>(this.keys + ((<usize>parent) << 2));
      if (parentKey >= key) break;
      store<f32>(this.keys + ((<usize>i) << 2), parentKey);
      store<u32>(this.nodes + ((<usize>i) << 2), load<u32>(this.nodes + ((<usize>parent) << 2)));
      i = parent;
    }
    store<f32>(this.keys + ((<usize>i) << 2), key);
    store<u32>(this.nodes + ((<usize>i) << 2), node);
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const key = load<f32>(this.keys + ((<usize>n) << 2));
    const node = load<u32>(this.nodes + ((<usize>n) << 2));
    let i = 0;
    while (true) {
      let child = (i << 1) + 1;
      if (child >= n) break;
      let childKey = load<f32>(this.keys + ((<usize>child) << 2));
      if (child + 1 < n) {
        const rightKey = load<f32>(this.keys + ((<usize>(child + 1)) << 2));
        if (rightKey > childKey) {
          child++;
          childKey = rightKey;
        }
      }
      if (key >= childKey) break;
      store<f32>(this.keys + ((<usize>i) << 2), childKey);
      store<u32>(this.nodes + ((<usize>i) << 2), load<u32>(this.nodes + ((<usize>child) << 2)));
      i = child;
    }
    store<f32>(this.keys + ((<usize>i) << 2), key);
    store<u32>(this.nodes + ((<usize>i) << 2), node);
  }

  private grow(): void {
    const cap = this.cap === 0 ? 256 : this.cap << 1;
    const bytes = (<usize>cap) << 2;
    this.keys = this.keys === 0 ? heap.alloc(bytes) : heap.realloc(this.keys, bytes);
    this.nodes = this.nodes === 0 ? heap.alloc(bytes) : heap.realloc(this.nodes, bytes);
    this.cap = cap;
  }
}
