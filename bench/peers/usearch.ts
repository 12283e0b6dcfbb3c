import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type ContenderFactory, rows } from "./contender";

// usearch 2.26.2's ESM entry recurses forever when imported in Node 20; its CommonJS entry is
// the same API and loads. Types come from the package itself.
type Usearch = typeof import("usearch");
type UsearchIndex = InstanceType<Usearch["Index"]>;

/**
 * usearch 2.26.2 (native, N-API). `connectivity` is M (layer 0 gets 2·M, as in hnswlib) and
 * `expansion_add` is efConstruction. Its JS API fixes `expansion_search` at construction, so the
 * built index is saved once and loaded into one `Index` per ef; the load is not
 * build time. Every call passes threads = 1: its default 0 means all cores.
 */
export const createUsearch: ContenderFactory = (data, params) => {
  const usearch = createRequire(import.meta.url)("usearch") as Usearch;
  const { dim } = data;
  const keys = BigUint64Array.from({ length: data.n }, (_, i) => BigInt(i));
  const queries = rows(data.queries, data.queryCount, dim);
  const file = join(params.tmpDir, `usearch-${data.name}.usearch`);
  const make = (expansionSearch: number): UsearchIndex =>
    new usearch.Index({
      dimensions: dim,
      metric: usearch.MetricKind.L2sq,
      quantization: usearch.ScalarKind.F32,
      connectivity: params.M,
      expansion_add: params.efConstruction,
      expansion_search: expansionSearch,
      multi: false,
    });
  let building: UsearchIndex | undefined;
  const byEf = new Map<number, UsearchIndex>();
  let current: UsearchIndex | undefined;
  let serializedBytes: number | undefined;
  return {
    name: "usearch",
    init() {
      // usearch has no seed parameter; its level generator is its own.
      building = make(64);
    },
    addRange(from, to) {
      if (building === undefined) throw new Error("usearch: init() first");
      building.add(keys.subarray(from, to), data.base.subarray(from * dim, to * dim), 1);
    },
    finishBuild(efs) {
      if (building === undefined) throw new Error("usearch: init() first");
      building.save(file);
      serializedBytes = statSync(file).size;
      for (const ef of efs) {
        const index = make(ef);
        index.load(file);
        byEf.set(ef, index);
      }
      building = undefined;
    },
    setEf(ef) {
      current = byEf.get(ef);
      if (current === undefined) throw new Error(`usearch: ef ${ef} was not loaded`);
    },
    query(q, k) {
      if (current === undefined) throw new Error("usearch: setEf() first");
      const { keys: found } = current.search(queries[q] as Float32Array, k, 1);
      return Array.from(found, Number);
    },
    memory() {
      return serializedBytes === undefined ? {} : { serializedBytes };
    },
  };
};
