// The paper's INSERT: draw a level, descend greedily to it, then on each lower layer run
// SEARCH-LAYER with efConstruction, pick neighbours by the heuristic and link both ways,
// pruning a neighbour's list with the same heuristic when it overflows.

import { distance, normalise } from "./distance";
import { selectNeighbours, sortByDistance } from "./heuristic";
import {
  dim,
  efConstruction,
  entryPoint,
  initNode,
  levelOf,
  linkAt,
  linkCount,
  linksAt,
  MAX_LEVEL,
  METRIC_COSINE,
  maxLevel,
  maxLinks,
  maxM,
  maxM0,
  metric,
  NO_NODE,
  setDeleted,
  setEntryPoint,
  setLabel,
  setLinkAt,
  setLinkCount,
  vectorOf,
} from "./layout";
import { randomLevel } from "./level-generator";
import { found, greedyDescent, searchLayer } from "./search-layer";
import { beginVisit, visit } from "./visited";

let sortNodes: usize = 0;
let sortDists: usize = 0;
let selected: usize = 0;
// Separate from `selected`, which connect() is still walking while it prunes other lists.
let pruned: usize = 0;

export function reserveScratch(): void {
  const n = <usize>max(efConstruction, 2 * maxM0 + 2);
  sortNodes = heap.alloc(n << 2);
  sortDists = heap.alloc(n << 2);
  selected = heap.alloc((<usize>maxM0 + 1) << 2);
  pruned = heap.alloc((<usize>maxM0 + 1) << 2);
}

export function insertNew(node: u32, label: u32, vector: usize): void {
  const level = randomLevel(MAX_LEVEL);
  initNode(node, level);
  writeVector(node, label, vector);
  if (entryPoint === NO_NODE) {
    setEntryPoint(node, level);
    return;
  }
  link(node, level, false);
  if (level > maxLevel) setEntryPoint(node, level);
}

// A tombstoned slot keeps its level and its place in other nodes' lists. Its old neighbours
// first re-select among their own links and the slot's links (they lose a link to a vector
// that is about to move); then the slot is linked again as if freshly inserted.
export function reuseSlot(node: u32, label: u32, vector: usize): void {
  const level = levelOf(node);
  for (let l = 0; l <= level; l++) repairNeighbours(node, l);
  writeVector(node, label, vector);
  setDeleted(node, false);
  link(node, level, true);
}

function writeVector(node: u32, label: u32, vector: usize): void {
  const v = vectorOf(node);
  memory.copy(v, vector, (<usize>dim) << 2);
  if (metric === METRIC_COSINE) normalise(v, dim);
  setLabel(node, label);
}

function link(node: u32, level: i32, relink: bool): void {
  const query = vectorOf(node);
  let entry = entryPoint;
  if (level < maxLevel) entry = greedyDescent(query, entry, maxLevel, level);
  const top = min(level, maxLevel);
  for (let l = top; l >= 0; l--) {
    searchLayer(query, entry, l, efConstruction, false, node);
    if (found.size === 0) {
      setLinkCount(linksAt(node, l), 0);
      continue;
    }
    entry = connect(node, l, relink);
  }
}

// Drains `found` nearest first into the sort buffers and returns how many there were.
function drainFound(): i32 {
  const n = found.size;
  for (let i = n - 1; i >= 0; i--) {
    store<u32>(sortNodes + ((<usize>i) << 2), found.topNode());
    store<f32>(sortDists + ((<usize>i) << 2), found.topKey());
    found.pop();
  }
  return n;
}

// Links `node` to its selected neighbours on `level` and back; returns the nearest of them,
// the entry point for the next layer down.
function connect(node: u32, level: i32, relink: bool): u32 {
  const n = drainFound();
  const nearest = load<u32>(sortNodes);
  const kept = selectNeighbours(sortNodes, sortDists, n, maxM, selected);
  const own = linksAt(node, level);
  for (let i = 0; i < kept; i++) setLinkAt(own, i, load<u32>(selected + ((<usize>i) << 2)));
  setLinkCount(own, kept);
  const limit = maxLinks(level);
  for (let i = 0; i < kept; i++) {
    const other = load<u32>(selected + ((<usize>i) << 2));
    const list = linksAt(other, level);
    const size = linkCount(list);
    if (relink && contains(list, size, node)) continue;
    if (size < limit) {
      setLinkAt(list, size, node);
      setLinkCount(list, size + 1);
    } else {
      prune(other, level, list, size, node);
    }
  }
  return nearest;
}

function contains(list: usize, size: i32, node: u32): bool {
  for (let i = 0; i < size; i++) if (linkAt(list, i) === node) return true;
  return false;
}

// Re-selects an overfull list among its links plus the newcomer.
function prune(base: u32, level: i32, list: usize, size: i32, newcomer: u32): void {
  const v = vectorOf(base);
  for (let i = 0; i < size; i++) {
    const other = linkAt(list, i);
    store<u32>(sortNodes + ((<usize>i) << 2), other);
    store<f32>(sortDists + ((<usize>i) << 2), distance(v, vectorOf(other)));
  }
  store<u32>(sortNodes + ((<usize>size) << 2), newcomer);
  store<f32>(sortDists + ((<usize>size) << 2), distance(v, vectorOf(newcomer)));
  rewrite(list, size + 1, maxLinks(level));
}

function rewrite(list: usize, n: i32, limit: i32): void {
  sortByDistance(sortNodes, sortDists, n);
  const kept = selectNeighbours(sortNodes, sortDists, n, limit, pruned);
  for (let i = 0; i < kept; i++) setLinkAt(list, i, load<u32>(pruned + ((<usize>i) << 2)));
  setLinkCount(list, kept);
}

function repairNeighbours(node: u32, level: i32): void {
  const own = linksAt(node, level);
  const ownSize = linkCount(own);
  for (let i = 0; i < ownSize; i++) {
    const other = linkAt(own, i);
    if (other === node || levelOf(other) < level) continue;
    const list = linksAt(other, level);
    const size = linkCount(list);
    if (!contains(list, size, node)) continue;
    const v = vectorOf(other);
    beginVisit();
    visit(other);
    visit(node);
    let n = 0;
    for (let j = 0; j < size; j++) n = addCandidate(v, linkAt(list, j), n);
    for (let j = 0; j < ownSize; j++) n = addCandidate(v, linkAt(own, j), n);
    rewrite(list, n, maxLinks(level));
  }
}

function addCandidate(base: usize, candidate: u32, n: i32): i32 {
  if (visit(candidate)) return n;
  store<u32>(sortNodes + ((<usize>n) << 2), candidate);
  store<f32>(sortDists + ((<usize>n) << 2), distance(base, vectorOf(candidate)));
  return n + 1;
}
