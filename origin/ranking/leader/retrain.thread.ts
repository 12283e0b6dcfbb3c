import { Worker } from "node:worker_threads";
import {
  type RetrainJob,
  type RetrainResult,
  type RetrainWorkerData,
  transferables,
} from "./retrain.job";

const BOOT = new URL("./typescript.worker.mjs", import.meta.url);
const ENTRY = new URL("./retrain.worker.ts", import.meta.url);

/**
 * Runs a retrain in a worker thread, so training and the index build never stall the event loop.
 * The job's buffers move to the worker (the caller must not touch them afterwards) and the
 * result's move back. The compiled module goes along: the worker instantiates it, no recompile.
 */
export function retrainInWorker(
  module: WebAssembly.Module,
  job: RetrainJob,
): Promise<RetrainResult> {
  return new Promise((resolve, reject) => {
    const data: RetrainWorkerData = { module, job };
    const worker = new Worker(BOOT, {
      workerData: { entry: ENTRY.href, ...data },
      transferList: transferables(job),
    });
    worker.once("message", (result: RetrainResult) => resolve(result));
    worker.once("error", reject);
    // After the answer, exiting is the normal end; without one it is a failure.
    worker.once("exit", (code) => {
      reject(new Error(`retrain worker exited with code ${code} before answering`));
    });
  });
}
