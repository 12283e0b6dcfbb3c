import { S3Client } from "@aws-sdk/client-s3";
import type { S3Config } from "../config/config";

/**
 * The S3 client for R2's S3 endpoint in production and the loopback S3 server locally.
 * Path-style addressing works on both. Checksums only when an operation requires them: R2 and
 * most S3-compatible servers reject the SDK's default aws-chunked trailing checksums.
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
