import { readFileSync } from "node:fs";

/** Where `npm run build:wasm` writes the module. */
export const HNSW_WASM_URL = new URL("./build/hnsw.wasm", import.meta.url);

/** Compiles build/hnsw.wasm (or other bytes) for Node; workerd imports the module instead. */
export function loadHnswModule(
  source: URL | Uint8Array<ArrayBuffer> = HNSW_WASM_URL,
): WebAssembly.Module {
  const bytes = source instanceof Uint8Array ? source : readFileSync(source);
  return new WebAssembly.Module(bytes);
}
