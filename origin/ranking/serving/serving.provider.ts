import type { Redis } from "ioredis";
import { CheckpointKeys, UploadStreams } from "../../../contracts/keyspace";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";
import { CheckpointStore, type CheckpointStoreOptions } from "../model/model.checkpoint";
import type { ModelState } from "../model/model.state";
import { ServingModel } from "./serving.model";

export const DEFAULT_CHECKPOINT_PREFIX = CheckpointKeys.prefix;

/**
 * The API role's read-only model for `/v1/rank`: loaded in the background at start, then synced
 * (new uploads, newer checkpoints hot-swapped) every `syncMs`. Until it loads, ranking answers
 * with trending.
 */
export function startServingModel(
  redis: Redis,
  storage: CheckpointStoreOptions,
  syncMs = 10_000,
  uploadStream: string = UploadStreams.events,
): { get(): ModelState | undefined; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let serving: ServingModel | undefined;
  const sync = async () => {
    try {
      serving ??= new ServingModel({
        redis,
        module: loadHnswModule(),
        store: new CheckpointStore(storage),
        uploadStream,
      });
      await serving.sync();
    } catch (error) {
      console.warn(
        "api: ranking model sync failed",
        error instanceof Error ? error.message : error,
      );
    }
    if (!stopped) {
      timer = setTimeout(sync, syncMs);
      timer.unref();
    }
  };
  void sync();
  return {
    get: () => serving?.current,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
