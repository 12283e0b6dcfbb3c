import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ContenderFactory, rows } from "./contender";

// hnswlib-wasm 0.8.2 ships types only for its browser entry, which refuses Node (no "main", an
// IndexedDB file system). These are the parts of its Emscripten module this bench calls.
interface HnswlibWasmIndex {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  addPoint(point: Float32Array, label: number, replaceDeleted: boolean): void;
  setEfSearch(ef: number): void;
  searchKnn(
    query: Float32Array,
    k: number,
    filter: undefined,
  ): { neighbors: number[]; distances: number[] };
}

interface HnswlibWasmModule {
  HierarchicalNSW: new (
    space: "l2" | "ip" | "cosine",
    dim: number,
    autoSaveFilename: string,
  ) => HnswlibWasmIndex;
  /** The module's linear memory; its buffer is the whole WASM heap of this instance. */
  HEAPU8: Uint8Array;
}

type HnswlibWasmFactory = () => Promise<HnswlibWasmModule>;

/** The Emscripten factory in dist/hnswlib-<hash>.js, found by pattern so a rebuild hash still loads. */
async function loadFactory(): Promise<HnswlibWasmFactory> {
  const pkg = createRequire(import.meta.url).resolve("hnswlib-wasm/package.json");
  const dist = join(dirname(pkg), "dist");
  const file = readdirSync(dist).find((name) => /^hnswlib-[0-9a-f]+\.js$/.test(name));
  if (file === undefined) throw new Error(`hnswlib-wasm: no dist/hnswlib-<hash>.js in ${dist}`);
  const loaded: { default?: unknown } = await import(pathToFileURL(join(dist, file)).href);
  if (typeof loaded.default !== "function") throw new Error(`hnswlib-wasm: ${file} has no factory`);
  return loaded.default as HnswlibWasmFactory;
}

/** A fresh Emscripten instance, so its memory is this index's alone (as edgefeed's is). */
async function instantiate(): Promise<HnswlibWasmModule> {
  const factory = await loadFactory();
  // Its loader refuses any environment but a browser or a worker; `window` is read once while
  // the factory runs, so it is removed again straight after.
  const hadWindow = "window" in globalThis;
  if (!hadWindow) Reflect.set(globalThis, "window", globalThis);
  try {
    return await factory();
  } finally {
    if (!hadWindow) Reflect.deleteProperty(globalThis, "window");
  }
}

/** hnswlib-wasm 0.8.2: hnswlib's C++ through Emscripten/embind, no SIMD, one instance per index. */
export const createHnswlibWasm: ContenderFactory = async (data, params) => {
  const lib = await instantiate();
  const { dim } = data;
  const base = rows(data.base, data.n, dim);
  const queries = rows(data.queries, data.queryCount, dim);
  let index: HnswlibWasmIndex | undefined;
  const built = (): HnswlibWasmIndex => {
    if (index === undefined) throw new Error("hnswlib-wasm: init() first");
    return index;
  };
  return {
    name: "hnswlib-wasm",
    init() {
      // An empty auto-save file name: its file system is not exported to Node.
      index = new lib.HierarchicalNSW("l2", dim, "");
      index.initIndex(data.n, params.M, params.efConstruction, params.seed);
    },
    addRange(from, to) {
      const i = built();
      for (let row = from; row < to; row++) i.addPoint(base[row] as Float32Array, row, false);
    },
    setEf(ef) {
      built().setEfSearch(ef);
    },
    query(q, k) {
      return built().searchKnn(queries[q] as Float32Array, k, undefined).neighbors;
    },
    memory() {
      return { wasmMemoryBytes: lib.HEAPU8.buffer.byteLength };
    },
  };
};
