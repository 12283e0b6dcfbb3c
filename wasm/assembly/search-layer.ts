// The paper's SEARCH-LAYER (beam search with ef) and the greedy descent through upper layers.

import { distance } from "./distance";
import { admits } from "./filter";
import { linkAt, linkCount, linksAt, vectorOf } from "./layout";
import { MaxHeap } from "./max-heap";
import { beginVisit, visit } from "./visited";

// Nearest-first frontier (negated keys) and the ef best found so far (farthest on top).
export const candidates = new MaxHeap();
export const found = new MaxHeap();

export function greedyDescent(query: usize, entry: u32, fromLevel: i32, toLevel: i32): u32 {
  let current = entry;
  let currentDistance = distance(query, vectorOf(current));
  for (let level = fromLevel; level > toLevel; level--) {
    let improved = true;
    while (improved) {
      improved = false;
      const list = linksAt(current, level);
      const n = linkCount(list);
      for (let i = 0; i < n; i++) {
        const neighbour = linkAt(list, i);
        const d = distance(query, vectorOf(neighbour));
        if (d < currentDistance) {
          currentDistance = d;
          current = neighbour;
          improved = true;
        }
      }
    }
  }
  return current;
}

// Leaves up to ef nodes in `found`. With `filtered`, only admitted nodes enter `found`, but every
// node reached is expanded, so a filter costs extra hops rather than lost recall. `skip` is a
// node that must not be returned (a slot being re-linked to itself).
export function searchLayer(
  query: usize,
  entry: u32,
  level: i32,
  ef: i32,
  filtered: bool,
  skip: u32,
): void {
  beginVisit();
  candidates.clear();
  found.clear();
  visit(entry);
  const entryDistance = distance(query, vectorOf(entry));
  let bound = f32.MAX_VALUE;
  if (entry !== skip && (!filtered || admits(entry))) {
    found.push(entryDistance, entry);
    bound = entryDistance;
  }
  candidates.push(-entryDistance, entry);
  while (candidates.size > 0) {
    const nearest = -candidates.topKey();
    if (nearest > bound && found.size >= ef) break;
    const current = candidates.topNode();
    candidates.pop();
    const list = linksAt(current, level);
    const n = linkCount(list);
    for (let i = 0; i < n; i++) {
      const neighbour = linkAt(list, i);
      if (visit(neighbour)) continue;
      const d = distance(query, vectorOf(neighbour));
      if (found.size < ef || d < bound) {
        candidates.push(-d, neighbour);
        if (neighbour !== skip && (!filtered || admits(neighbour))) {
          found.push(d, neighbour);
          if (found.size > ef) found.pop();
        }
        if (found.size > 0) bound = found.topKey();
      }
    }
  }
}
