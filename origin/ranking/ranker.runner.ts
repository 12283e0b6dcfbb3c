import { UploadStreams } from "../../contracts/keyspace";
import { loadHnswModule } from "../../wasm/hnsw.node.js";
import type { FeaturesConfig, RankerConfig, RankerStorageConfig } from "../config/config";
import { createS3Client } from "../storage/s3.client";
import { DEFAULT_RANKER_SERVICE } from "./config/ranker.options";
import { DEFAULT_EXPLORE } from "./leader/explore.writer";
import { RankerService } from "./ranker.service";
import { DEFAULT_CHECKPOINT_PREFIX } from "./serving/serving.provider";

/** Starts the `ranker` role from the loaded configs; the returned stop checkpoints first. */
export async function startRanker(
  origin: RankerStorageConfig,
  features: FeaturesConfig,
  ranker: RankerConfig,
): Promise<{ service: RankerService; stop(): Promise<void> }> {
  const s3 = createS3Client(origin.s3);
  const service = new RankerService({
    ...DEFAULT_RANKER_SERVICE,
    redisUrl: origin.redisUrl,
    s3,
    bucket: origin.s3.bucket,
    module: loadHnswModule(),
    keyPrefix: features.keyPrefix,
    partitions: features.partitions,
    uploadStream: UploadStreams.events,
    checkpointPrefix: origin.rankerCheckpointPrefix ?? DEFAULT_CHECKPOINT_PREFIX,
    checkpointMs: ranker.checkpointMs,
    trainMs: ranker.trainMs,
    trainDays: ranker.trainDays,
    exploreMs: ranker.exploreMs,
    replica: ranker.replica,
    explore: { ...DEFAULT_EXPLORE, regions: ranker.exploreRegions },
    experiment: origin.rankingExperiment,
  });
  await service.start();
  return {
    service,
    async stop() {
      await service.stop();
      s3.destroy();
    },
  };
}
