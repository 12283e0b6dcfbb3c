import { apiWorkerCount, startApiCluster } from "./api/api.cluster";
import { startEventArchiver } from "./archive/archiver.runner";
import {
  ConfigError,
  loadConfig,
  loadFeaturesConfig,
  loadMediaConfig,
  loadRankerConfig,
} from "./config/config";
import { startFeatureProcessor } from "./features/feature-processor";
import { startRanker } from "./ranking/ranker.runner";
import { startBridge } from "./redis-bridge/bridge.server";
import { createS3Client } from "./storage/s3.client";
import { startTranscodeWorker } from "./transcode/transcode.worker";

/**
 * One entry for every origin role, `tsx origin/main.ts <role>`, so that in production each role
 * runs as its own process and scales on its own.
 */
const roles = {
  bridge: async () => {
    const config = loadConfig();
    const bridge = await startBridge({
      redisUrl: config.redisUrl,
      token: config.bridgeToken,
      port: config.bridgePort,
    });
    console.log(`bridge: Upstash REST on ${bridge.url} → ${config.redisUrl}`);
    return bridge.stop;
  },
  api: async () => {
    // Read here so a bad environment fails once instead of in every worker.
    loadConfig();
    const api = await startApiCluster({ workers: apiWorkerCount() });
    console.log(`api: origin on ${api.url}, ${api.workers} worker${api.workers === 1 ? "" : "s"}`);
    return api.stop;
  },
  features: async () => {
    const config = loadFeaturesConfig();
    const processor = await startFeatureProcessor(config);
    console.log(`features: consuming ${config.partitions} partitions`);
    return () => processor.stop();
  },
  archive: async () => {
    const features = loadFeaturesConfig();
    const archiver = startEventArchiver(loadConfig(), {
      partitions: features.partitions,
      keyPrefix: features.keyPrefix,
    });
    console.log(`archive: ${features.partitions} partitions → lake/events/`);
    return archiver.stop;
  },
  transcode: async () => {
    const config = loadConfig();
    const media = config.media ?? loadMediaConfig({});
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
    const ranker = await startRanker(loadConfig(), loadFeaturesConfig(), loadRankerConfig());
    console.log("ranker: serving fyp:{user}, explore:{region} and checkpoints");
    return ranker.stop;
  },
} satisfies Record<string, () => Promise<() => Promise<void>>>;

type Role = keyof typeof roles;

function isRole(name: string | undefined): name is Role {
  return name !== undefined && Object.hasOwn(roles, name);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!isRole(name)) {
    console.error(`usage: tsx origin/main.ts <${Object.keys(roles).join("|")}>`);
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
