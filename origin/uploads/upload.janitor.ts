import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Redis } from "ioredis";
import { CatalogKeys } from "../../contracts/keyspace";
import { CatalogStore } from "../catalog/catalog.store";

/** An upload not finished this long after it was created is abandoned. */
export const UPLOAD_DEADLINE_MS = 24 * 3600 * 1000;
const SWEEP_BATCH = 100;

export interface JanitorOptions {
  redis: Redis;
  s3: S3Client;
  bucket: string;
  uploadDeadlineMs?: number;
  now?: () => number;
}

export interface SweepResult {
  /** Uploads still `uploading` past the deadline, now `failed`. */
  abandoned: number;
  /** Originals of rejected and failed videos deleted after their grace period. */
  deleted: number;
}

/**
 * Bounds what uploads leave behind. An upload still `uploading` past the deadline becomes
 * `failed` with a reason, which starts its original's grace period; an original whose grace
 * period has passed is deleted with everything tus keeps beside it (`.info`, `.part` and an
 * unfinished multipart upload), and the entry forgets its key. Both lists are sorted sets the
 * catalog keeps as statuses change, so a sweep never scans the catalog.
 */
export async function sweepUploads(options: JanitorOptions): Promise<SweepResult> {
  const now = (options.now ?? Date.now)();
  const catalog = new CatalogStore(options.redis);
  const deadline = now - (options.uploadDeadlineMs ?? UPLOAD_DEADLINE_MS);
  const hours = Math.round((options.uploadDeadlineMs ?? UPLOAD_DEADLINE_MS) / 3_600_000);
  let abandoned = 0;
  for (const id of await options.redis.zrangebyscore(
    CatalogKeys.openUploads(),
    "-inf",
    deadline,
    "LIMIT",
    0,
    SWEEP_BATCH,
  )) {
    const entry = await catalog.get(id);
    if (entry?.status === "uploading") {
      await catalog.setStatus(id, "failed", {
        reason: `the upload was not finished within ${hours} hours`,
      });
      abandoned++;
    } else {
      await options.redis.zrem(CatalogKeys.openUploads(), id);
    }
  }
  let deleted = 0;
  for (const id of await options.redis.zrangebyscore(
    CatalogKeys.expiringOriginals(),
    "-inf",
    now,
    "LIMIT",
    0,
    SWEEP_BATCH,
  )) {
    const entry = await catalog.get(id);
    const unusable = entry?.status === "rejected" || entry?.status === "failed";
    if (entry?.original_key && unusable) {
      await deleteOriginal(options.s3, options.bucket, entry.original_key);
      await options.redis.hdel(CatalogKeys.video(id), "original_key");
      deleted++;
    }
    await options.redis.zrem(CatalogKeys.expiringOriginals(), id);
  }
  return { abandoned, deleted };
}

async function deleteOriginal(s3: S3Client, bucket: string, key: string): Promise<void> {
  // @tus/s3-store keeps an unfinished upload's multipart id in the metadata of `{key}.info`.
  const info = await s3
    .send(new HeadObjectCommand({ Bucket: bucket, Key: `${key}.info` }))
    .catch(() => undefined);
  const uploadId = info?.Metadata?.["upload-id"];
  if (uploadId) {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
  }
  await s3.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: [{ Key: key }, { Key: `${key}.info` }, { Key: `${key}.part` }] },
    }),
  );
}

/** Sweeps every `everyMs` (five minutes) until stopped; a failed sweep is retried next time. */
export function startUploadJanitor(
  options: JanitorOptions & { everyMs?: number; log?: (line: string) => void },
): { stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = sweepUploads(options).then(
      ({ abandoned, deleted }) => {
        if (abandoned + deleted > 0) {
          log(`janitor: ${abandoned} abandoned uploads failed, ${deleted} originals deleted`);
        }
      },
      (error: unknown) => log(`janitor: sweep failed, retrying next time: ${String(error)}`),
    );
  };
  sweep();
  const timer = setInterval(sweep, options.everyMs ?? 5 * 60_000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
