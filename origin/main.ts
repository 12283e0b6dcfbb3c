import { startApiCluster } from "./api/api.cluster";
import { startEventArchiver } from "./archive/archiver.runner";
import { ConfigError } from "./config/config";
import { isRole, loadRoleConfig, ROLES, type Role } from "./config/role.config";
import { startFeatureProcessor } from "./features/feature-processor";
import { startRanker } from "./ranking/ranker.runner";
import { startBridge } from "./redis-bridge/bridge.server";
import { startGaugeSampler } from "./sampler/sampler.runner";
import { createS3Client } from "./storage/s3.client";
import { startTranscodeWorker } from "./transcode/transcode.worker";

/**
 * One entry for every origin role, `tsx origin/main.ts <role>`, so that in production each role
 * runs as its own process and scales on its own. Each reads only its own variables.
 */
const roles = {
  bridge: async () => {
    const config = loadRoleConfig("bridge");
    const bridge = await startBridge(config);
    console.log(`bridge: Upstash REST on ${bridge.url} → ${config.redisUrl}`);
    return bridge.stop;
  },
  api: async () => {
    const { workers } = loadRoleConfig("api");
    const api = await startApiCluster({ workers });
    console.log(`api: origin on ${api.url}, ${api.workers} worker${api.workers === 1 ? "" : "s"}`);
    return api.stop;
  },
  features: async () => {
    const config = loadRoleConfig("features");
    const processor = await startFeatureProcessor(config);
    console.log(`features: consuming ${config.partitions} partitions`);
    return () => processor.stop();
  },
  archive: async () => {
    const { storage, features } = loadRoleConfig("archive");
    const archiver = startEventArchiver(storage, {
      partitions: features.partitions,
      keyPrefix: features.keyPrefix,
    });
    console.log(`archive: ${features.partitions} partitions → lake/events/`);
    return archiver.stop;
  },
  transcode: async () => {
    const { media, ...config } = loadRoleConfig("transcode");
    const s3 = createS3Client(config.s3);
    const worker = await startTranscodeWorker({
      redisUrl: config.redisUrl,
      s3,
      bucket: config.s3.bucket,
      tools: { ffmpegPath: media.ffmpegPath, ffprobePath: media.ffprobePath },
      stream: media.transcodeStream,
      claimIdleMs: media.claimIdleMs,
      maxAttempts: media.maxAttempts,
    });
    console.log(`transcode: ${worker.consumer} consuming ${media.transcodeStream}`);
    return async () => {
      await worker.stop();
      s3.destroy();
    };
  },
  ranker: async () => {
    const { storage, features, ranker: schedule } = loadRoleConfig("ranker");
    const ranker = await startRanker(storage, features, schedule);
    console.log("ranker: serving fyp:{user}, explore:{region} and checkpoints");
    return ranker.stop;
  },
  sampler: async () => {
    const config = loadRoleConfig("sampler");
    const sampler = startGaugeSampler(config);
    console.log(`sampler: gauges of ${config.partitions} partitions every ${config.intervalMs} ms`);
    return sampler.stop;
  },
} satisfies Record<Role, () => Promise<() => Promise<void>>>;

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!isRole(name)) {
    console.error(`usage: tsx origin/main.ts <${ROLES.join("|")}>`);
    process.exit(2);
  }
  try {
    const stop = await roles[name]();
    const shutdown = () => {
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

await main();
