import type { TestProject } from "vitest/node";
import { startOrigin } from "../api/origin.server";
import {
  LOCAL_BUCKET,
  localOriginConfig,
  localS3Config,
  startLocalServices,
} from "./local-services";
import { uploadMediaFixtures } from "./media-fixtures";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    bridgeUrl: string;
    bridgeToken: string;
    s3Endpoint: string;
    s3Bucket: string;
    originUrl: string;
  }
}

const BRIDGE_TOKEN = "test-bridge-token";

/** Starts real servers for the test run and stops them when it finishes. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startLocalServices(BRIDGE_TOKEN);
  // New videos reach /v1/rank within about a second, so edge tests that add videos see them ranked.
  const config = { ...localOriginConfig(services, "test-origin-secret"), rankModelSyncMs: 1_000 };
  const origin = await startOrigin(config, 0).catch(async (error: unknown) => {
    await services.stop();
    throw error;
  });
  // Media only the origin has (video `fixture-origin`), for the edge's origin-pull tests.
  await uploadMediaFixtures(localS3Config(services.s3.endpoint));
  project.provide("redisUrl", services.redis.url);
  project.provide("bridgeUrl", services.bridge.url);
  project.provide("bridgeToken", BRIDGE_TOKEN);
  project.provide("s3Endpoint", services.s3.endpoint);
  project.provide("s3Bucket", LOCAL_BUCKET);
  project.provide("originUrl", origin.url);
  return async () => {
    await origin.stop();
    await services.stop();
  };
}
