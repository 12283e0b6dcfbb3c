// Entry of a worker thread that runs a TypeScript module (`workerData.entry`, a file URL).
// Node 20 does not load a `.ts` worker entry even when the worker inherits tsx's `--import`
// loader (`tsx origin/main.ts`) or is given `--import tsx`: ERR_UNKNOWN_FILE_EXTENSION, measured;
// under vitest there is no loader at all. tsx's scoped import works in both.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
