import type { S3Client } from "@aws-sdk/client-s3";
import type { Redis } from "ioredis";
import type { CatalogStore } from "../catalog/catalog.store";
import type { MediaLimits, MediaTools } from "../media-probe/media.probe";

/** What one transcode worker's steps share: its connection, catalog, settings and stop signal. */
export interface TranscodeContext {
  redis: Redis;
  catalog: CatalogStore;
  s3: S3Client;
  bucket: string;
  tools: MediaTools;
  limits: MediaLimits;
  preset: string | undefined;
  stream: string;
  deadLetterStream: string;
  consumer: string;
  claimIdleMs: number;
  maxAttempts: number;
  backoffMs: number;
  workDir: string;
  log: (line: string) => void;
  /** `transcode[{consumer}]`, the prefix of every log line. */
  tag: string;
  /** Aborted on stop: ffmpeg is killed and a backoff ends at once. */
  signal: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
