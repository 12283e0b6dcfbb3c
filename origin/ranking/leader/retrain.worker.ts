import { parentPort, workerData } from "node:worker_threads";
import { type RetrainWorkerData, runRetrainJob, transferables } from "./retrain.job";

// A worker thread's half of `retrainInWorker`: one job in, its result out, then the thread ends.
const { module, job } = workerData as RetrainWorkerData;
if (!parentPort) throw new Error("retrain.worker.ts runs only as a worker thread");
const result = runRetrainJob(module, job);
parentPort.postMessage(result, transferables(result));
