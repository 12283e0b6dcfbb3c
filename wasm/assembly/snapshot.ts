// Snapshot format v1, all fields little-endian and fixed-width (see wasm/README.md for the
// table). Loading checks magic, version, length and CRC-32 before it trusts a single field,
// then checks every link, level and vector, so a damaged file can never produce a graph
// whose reads leave its own memory or a NaN distance.

import { crc32 } from "./crc32";
import {
  capacity,
  configure,
  count,
  dim,
  efConstruction,
  entryPoint,
  initNode,
  isDeleted,
  levelOf,
  linkAt,
  linkCount,
  linksAt,
  MAX_LEVEL,
  METRIC_COSINE,
  maxLevel,
  maxM,
  maxM0,
  metric,
  NO_NODE,
  nodeAt,
  nodeBytes,
  reserve,
  setCount,
  setEntryPoint,
  vectorOf,
} from "./layout";
import { restoreRngState, rngState } from "./level-generator";

export const MAGIC: u32 = 0x4e484645; // "EFHN"
export const VERSION: u16 = 1;
export const HEADER_BYTES: usize = 64;

export const LOAD_OK: i32 = 0;
export const LOAD_BAD_MAGIC: i32 = 1;
export const LOAD_BAD_VERSION: i32 = 2;
export const LOAD_BAD_LENGTH: i32 = 3;
export const LOAD_BAD_CHECKSUM: i32 = 4;
export const LOAD_BAD_HEADER: i32 = 5;
export const LOAD_BAD_GRAPH: i32 = 6;

// Largest single block the runtime's allocator hands out (TLSF's BLOCK_MAXSIZE, 1 GiB).
export const MAX_BLOCK_BYTES: u64 = (1 << 30) - 64;

function upperLevelTotal(): u64 {
  let total: u64 = 0;
  for (let i: u32 = 0; i < count; i++) total += <u64>levelOf(i);
  return total;
}

function records0Bytes(): usize {
  return ((1 + <usize>maxM0) << 2) + ((<usize>dim) << 2) + 4;
}

function upperRecordBytes(): usize {
  return (1 + <usize>maxM) << 2;
}

export function snapshotBytes(): u64 {
  return (
    <u64>HEADER_BYTES +
    ((<u64>count) << 2) +
    <u64>count * <u64>records0Bytes() +
    upperLevelTotal() * <u64>upperRecordBytes() +
    4
  );
}

export function writeSnapshot(out: usize, deleted: u32): void {
  const total = <usize>snapshotBytes();
  store<u32>(out, MAGIC);
  store<u16>(out, VERSION, 4);
  store<u16>(out, <u16>metric, 6);
  store<u32>(out, dim, 8);
  store<u32>(out, maxM, 12);
  store<u32>(out, maxM0, 16);
  store<u32>(out, efConstruction, 20);
  store<u32>(out, capacity, 24);
  store<u32>(out, count, 28);
  store<u32>(out, entryPoint, 32);
  store<i32>(out, maxLevel, 36);
  store<u64>(out, rngState, 40);
  store<u64>(out, <u64>total, 48);
  store<u32>(out, deleted, 56);
  store<u32>(out, 0, 60);
  let p: usize = out + HEADER_BYTES;
  for (let i: u32 = 0; i < count; i++) {
    store<u32>(p, levelOf(i));
    p += 4;
  }
  const linkBytes: usize = (<usize>maxM0 + 1) << 2;
  const vectorBytes: usize = ((<usize>dim) << 2) + 4;
  for (let i: u32 = 0; i < count; i++) {
    memory.copy(p, nodeAt(i), linkBytes);
    memory.copy(p + linkBytes, vectorOf(i), vectorBytes);
    p += linkBytes + vectorBytes;
  }
  const upperBytes = upperRecordBytes();
  for (let i: u32 = 0; i < count; i++) {
    const level = levelOf(i);
    for (let l = 1; l <= level; l++) {
      memory.copy(p, linksAt(i, l), upperBytes);
      p += upperBytes;
    }
  }
  store<u32>(p, crc32(out, total - 4));
}

// Everything before configure() only reads the buffer, so a rejected snapshot leaves no state.
export function readSnapshot(src: usize, len: usize): i32 {
  if (len < HEADER_BYTES + 4) return LOAD_BAD_LENGTH;
  if (load<u32>(src) !== MAGIC) return LOAD_BAD_MAGIC;
  if (load<u16>(src, 4) !== VERSION) return LOAD_BAD_VERSION;
  if (load<u64>(src, 48) !== <u64>len) return LOAD_BAD_LENGTH;
  if (load<u32>(src + len - 4) !== crc32(src, len - 4)) return LOAD_BAD_CHECKSUM;
  const m = <i32>load<u16>(src, 6);
  const d = load<u32>(src, 8);
  const neighbours = load<u32>(src, 12);
  const efC = load<u32>(src, 20);
  const cap = load<u32>(src, 24);
  const n = load<u32>(src, 28);
  const entry = load<u32>(src, 32);
  const top = load<i32>(src, 36);
  if (m > METRIC_COSINE || d === 0 || d > 65536 || neighbours < 2 || neighbours > 1024)
    return LOAD_BAD_HEADER;
  if (load<u32>(src, 16) !== neighbours * 2 || efC === 0 || efC > 1 << 20) return LOAD_BAD_HEADER;
  if (n > cap) return LOAD_BAD_HEADER;
  if (<u64>(<u64>HEADER_BYTES + ((<u64>n) << 2) + 4) > <u64>len) return LOAD_BAD_LENGTH;
  if (n === 0 ? entry !== NO_NODE || top !== -1 : entry >= n || top < 0 || top > MAX_LEVEL) {
    return LOAD_BAD_HEADER;
  }
  configure(<i32>d, m, <i32>neighbours, <i32>efC);
  if (<u64>cap * <u64>nodeBytes > MAX_BLOCK_BYTES) return LOAD_BAD_HEADER;
  let levelSum: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const level = load<u32>(src + HEADER_BYTES + ((<usize>i) << 2));
    if (level > <u32>MAX_LEVEL) return LOAD_BAD_GRAPH;
    levelSum += level;
  }
  const expected =
    <u64>HEADER_BYTES +
    ((<u64>n) << 2) +
    <u64>n * <u64>records0Bytes() +
    levelSum * <u64>upperRecordBytes() +
    4;
  if (expected !== <u64>len) return LOAD_BAD_LENGTH;
  reserve(cap);
  setCount(n);
  let p: usize = src + HEADER_BYTES;
  for (let i: u32 = 0; i < n; i++) {
    initNode(i, load<i32>(p));
    p += 4;
  }
  const linkBytes: usize = (<usize>maxM0 + 1) << 2;
  const vectorBytes: usize = ((<usize>dim) << 2) + 4;
  for (let i: u32 = 0; i < n; i++) {
    memory.copy(nodeAt(i), p, linkBytes);
    memory.copy(vectorOf(i), p + linkBytes, vectorBytes);
    p += linkBytes + vectorBytes;
  }
  const upperBytes = upperRecordBytes();
  for (let i: u32 = 0; i < n; i++) {
    const level = levelOf(i);
    for (let l = 1; l <= level; l++) {
      memory.copy(linksAt(i, l), p, upperBytes);
      p += upperBytes;
    }
  }
  if (n > 0 && levelOf(entry) !== top) return LOAD_BAD_GRAPH;
  setEntryPoint(entry, top);
  restoreRngState(load<u64>(src, 40));
  return validateGraph(load<u32>(src, 56));
}

function validateGraph(expectedDeleted: u32): i32 {
  let deleted: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const level = levelOf(i);
    for (let l = 0; l <= level; l++) {
      const list = linksAt(i, l);
      const size = linkCount(list);
      if (size > (l === 0 ? maxM0 : maxM)) return LOAD_BAD_GRAPH;
      if ((load<u32>(list) & 0x7fff0000) !== 0) return LOAD_BAD_GRAPH;
      for (let j = 0; j < size; j++) {
        const other = linkAt(list, j);
        if (other >= count || levelOf(other) < l) return LOAD_BAD_GRAPH;
      }
    }
    const v = vectorOf(i);
    for (let j = 0; j < dim; j++) {
      const x = load<f32>(v + ((<usize>j) << 2));
      if (!Number.isFinite(x)) return LOAD_BAD_GRAPH;
    }
    if (isDeleted(i)) deleted++;
  }
  // Deleted slots keep whatever label they had; the bindings check that live labels are unique.
  return deleted === expectedDeleted ? LOAD_OK : LOAD_BAD_GRAPH;
}
