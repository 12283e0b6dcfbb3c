import { Redis } from "ioredis";
import { featureKeys } from "../../contracts/keyspace";
import type { StorageConfig } from "../config/config";
import { createS3Client } from "../storage/s3.client";
import { EventArchiver } from "./event-archiver";

const INTERVAL_MS = 10_000;

/** The `archive` role: every 10 s, writes each partition's completed minutes to the lake. */
export function startEventArchiver(
  config: StorageConfig,
  stream: { partitions: number; keyPrefix: string },
): { stop(): Promise<void> } {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const s3 = createS3Client(config.s3);
  const archiver = new EventArchiver({
    redis,
    s3,
    bucket: config.s3.bucket,
    keys: featureKeys(stream.keyPrefix),
    partitions: stream.partitions,
    prefix: stream.keyPrefix,
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = archiver
      .archiveComplete()
      .catch((error) => console.error("archive: pass failed", error))
      .finally(() => {
        timer = setTimeout(tick, INTERVAL_MS);
      });
  };
  tick();
  return {
    async stop() {
      clearTimeout(timer);
      await running;
      clearTimeout(timer);
      redis.disconnect();
      s3.destroy();
    },
  };
}
