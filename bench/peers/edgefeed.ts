// tsx reads a bare "*.node" specifier as a native addon; the .js suffix resolves to the .ts file.
import { loadHnswModule } from "../../wasm/hnsw.node.js";
import { HnswIndex } from "../../wasm/hnsw-index";
import { type ContenderFactory, rows } from "./contender";

/** edgefeed's own index: one WebAssembly instance (SIMD build) per index. */
export const createEdgefeed: ContenderFactory = (data, params) => {
  const module = loadHnswModule();
  const { dim } = data;
  const labels = Uint32Array.from({ length: data.n }, (_, i) => i);
  const queries = rows(data.queries, data.queryCount, dim);
  let index: HnswIndex | undefined;
  let ef = 64;
  const built = (): HnswIndex => {
    if (index === undefined) throw new Error("edgefeed-wasm: init() first");
    return index;
  };
  return {
    name: "edgefeed-wasm",
    init() {
      index = HnswIndex.create(module, {
        dim,
        metric: "l2",
        M: params.M,
        efConstruction: params.efConstruction,
        capacity: data.n,
        seed: params.seed,
      });
    },
    addRange(from, to) {
      built().addMany(labels.subarray(from, to), data.base.subarray(from * dim, to * dim));
    },
    setEf(value) {
      ef = value;
    },
    query(q, k) {
      return built()
        .search(queries[q] as Float32Array, k, { ef })
        .map((hit) => hit.label);
    },
    memory() {
      const i = built();
      return { wasmMemoryBytes: i.memoryBytes, serializedBytes: i.serialize().length };
    },
  };
};
