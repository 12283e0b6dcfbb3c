import { statSync } from "node:fs";
import { join } from "node:path";
import HnswLib from "hnswlib-node";
import type { ContenderFactory } from "./contender";

/**
 * hnswlib-node 3.0.0: hnswlib's C++ behind N-API. Its API takes `number[]` only (the addon checks
 * `IsArray`), so rows are converted in the untimed `prepare` step and queries once up front.
 */
export const createHnswlibNode: ContenderFactory = (data, params) => {
  const { dim } = data;
  const queries = Array.from({ length: data.queryCount }, (_, q) =>
    Array.from(data.queries.subarray(q * dim, (q + 1) * dim)),
  );
  // Only the chunk about to be inserted is held as number[] (all 60k × 784 rows would take
  // 376 MB), in arrays reused from chunk to chunk so no garbage is left for the others' clocks.
  const pool: number[][] = [];
  let pooledFrom = 0;
  let index: HnswLib.HierarchicalNSW | undefined;
  const built = (): HnswLib.HierarchicalNSW => {
    if (index === undefined) throw new Error("hnswlib-node: init() first");
    return index;
  };
  return {
    name: "hnswlib-node",
    prepare(from, to) {
      while (pool.length < to - from) pool.push(new Array<number>(dim).fill(0));
      for (let i = from; i < to; i++) {
        const point = pool[i - from] as number[];
        for (let j = 0; j < dim; j++) point[j] = data.base[i * dim + j] as number;
      }
      pooledFrom = from;
    },
    init() {
      index = new HnswLib.HierarchicalNSW("l2", dim);
      index.initIndex(data.n, params.M, params.efConstruction, params.seed);
    },
    addRange(from, to) {
      const i = built();
      if (from !== pooledFrom) throw new Error(`hnswlib-node: rows from ${from} were not prepared`);
      for (let row = from; row < to; row++) i.addPoint(pool[row - from] as number[], row);
    },
    finishBuild() {
      pool.length = 0;
    },
    setEf(ef) {
      // Its default search ef is 10 whatever efConstruction was; always set it.
      built().setEf(ef);
    },
    query(q, k) {
      return built().searchKnn(queries[q] as number[], k).neighbors;
    },
    memory() {
      // No in-memory size is exposed; hnswlib's file is its level-0 block plus upper links,
      // i.e. what it holds in RAM minus the label map and visited-list pool.
      const file = join(params.tmpDir, `hnswlib-node-${data.name}.bin`);
      built().writeIndexSync(file);
      return { serializedBytes: statSync(file).size };
    },
  };
};
