import { inject } from "vitest";
import type { S3Config } from "../config/config";
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
