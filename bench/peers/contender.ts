import type { Dataset } from "./datasets";

/** Parameters every index is built with, so the libraries build comparable graphs. */
export interface BuildParams {
  M: number;
  efConstruction: number;
  seed: number;
  /** A private directory for libraries that only save to files (usearch, hnswlib-node). */
  tmpDir: string;
}

/** Memory an index reports by itself (RSS growth is no measure here: see ann.bench.ts notes). */
export interface IndexMemory {
  /** Size of the WebAssembly memory of the index's own instance (WASM libraries only). */
  wasmMemoryBytes?: number;
  /** Bytes of the library's own serialized form, where it has one reachable from Node. */
  serializedBytes?: number;
}

/**
 * One library under test, behind the smallest surface the bench needs. The bench interleaves
 * the libraries chunk by chunk while building and run by run while searching, so every method
 * does one library's work only and never prints.
 */
export interface Contender {
  readonly name: string;
  /** Untimed: convert base rows [from, to) to the library's input type, if it needs one. */
  prepare?(from: number, to: number): void;
  /** Timed as build: create the empty index with room for all `n` rows. */
  init(): void;
  /** Timed as build: insert base rows [from, to) with labels equal to their row numbers. */
  addRange(from: number, to: number): void;
  /** Untimed: work between the last insert and the first search (usearch reloads per ef). */
  finishBuild?(efs: readonly number[]): void;
  setEf(ef: number): void;
  /** Labels of the k nearest to query row q, nearest first. */
  query(q: number, k: number): number[];
  memory(): IndexMemory;
}

export type ContenderFactory = (
  data: Dataset,
  params: BuildParams,
) => Contender | Promise<Contender>;

/** Row views without copying: `Float32Array` inputs for the libraries that accept them. */
export function rows(matrix: Float32Array, count: number, dim: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => matrix.subarray(i * dim, (i + 1) * dim));
}
