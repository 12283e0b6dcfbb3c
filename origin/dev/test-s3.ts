import { inject } from "vitest";
import type { OriginConfig, S3Config } from "../config/config";
import { LOCAL_S3_CREDENTIALS } from "./local-services";

/** The S3 server the test run's global setup started, as the origin's S3 config. */
export function testS3Config(): S3Config {
  return {
    endpoint: inject("s3Endpoint"),
    region: "auto",
    bucket: inject("s3Bucket"),
    ...LOCAL_S3_CREDENTIALS,
  };
}

/**
 * An in-process origin's config against the test run's Redis and S3 server, with uploads of at
 * most `uploadMaxBytes` queued to `transcodeStream` (unique per test file).
 */
export function testOriginConfig(
  sharedSecret: string,
  media: { uploadMaxBytes: number; transcodeStream: string; maxAttempts: number },
): OriginConfig {
  return {
    redisUrl: inject("redisUrl"),
    originPort: 0,
    sharedSecret,
    s3: testS3Config(),
    media: { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe", claimIdleMs: 10_000, ...media },
  };
}
