import type { TestProject } from "vitest/node";
import { startOrigin } from "../api/origin.server";
import { LOCAL_BUCKET, LOCAL_S3_CREDENTIALS, startLocalServices } from "./local-services";
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
  const origin = await startOrigin(
    {
      redisUrl: services.redis.url,
      bridgeToken: BRIDGE_TOKEN,
      bridgePort: services.bridge.port,
      originPort: 0,
      sharedSecret: "test-origin-secret",
      s3: {
        endpoint: services.s3.endpoint,
        region: "auto",
        bucket: LOCAL_BUCKET,
        ...LOCAL_S3_CREDENTIALS,
      },
    },
    0,
  ).catch(async (error: unknown) => {
    await services.stop();
    throw error;
  });
  // Media only the origin has (video `fixture-origin`), for the edge's origin-pull tests.
  await uploadMediaFixtures({
    endpoint: services.s3.endpoint,
    region: "auto",
    bucket: LOCAL_BUCKET,
    ...LOCAL_S3_CREDENTIALS,
  });
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
