// The paper's SELECT-NEIGHBORS-HEURISTIC (hnswlib's getNeighborsByHeuristic2): walking candidates
// nearest first, keep one only if it is closer to the base than to every neighbour kept so far,
// so links spread in different directions instead of clustering.

import { distance } from "./distance";
import { vectorOf } from "./layout";

export function selectNeighbours(nodes: usize, dists: usize, n: i32, m: i32, out: usize): i32 {
  if (n < m) {
    memory.copy(out, nodes, (<usize>n) << 2);
    return n;
  }
  let kept = 0;
  for (let i = 0; i < n && kept < m; i++) {
    const candidate = load<u32>(nodes + ((<usize>i) << 2));
    const toBase = load<f32>(dists + ((<usize>i) << 2));
    const v = vectorOf(candidate);
    let good = true;
    for (let j = 0; j < kept; j++) {
      if (distance(v, vectorOf(load<u32>(out + ((<usize>j) << 2)))) < toBase) {
        good = false;
        break;
      }
    }
    if (good) {
      store<u32>(out + ((<usize>kept) << 2), candidate);
      kept++;
    }
  }
  return kept;
}

// Insertion sort: the lists are at most M_max0 + 1 long.
export function sortByDistance(nodes: usize, dists: usize, n: i32): void {
  for (let i = 1; i < n; i++) {
    const d = load<f32>(dists + ((<usize>i) << 2));
    const node = load<u32>(nodes + ((<usize>i) << 2));
    let j = i - 1;
    while (j >= 0 && load<f32>(dists + ((<usize>j) << 2)) > d) {
      store<f32>(dists + ((<usize>(j + 1)) << 2), load<f32>(dists + ((<usize>j) << 2)));
      store<u32>(nodes + ((<usize>(j + 1)) << 2), load<u32>(nodes + ((<usize>j) << 2)));
      j--;
    }
    store<f32>(dists + ((<usize>(j + 1)) << 2), d);
    store<u32>(nodes + ((<usize>(j + 1)) << 2), node);
  }
}
