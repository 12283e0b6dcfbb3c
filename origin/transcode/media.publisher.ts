import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MediaKeys } from "../../contracts/keyspace";

const CONTENT_TYPES: Record<string, string> = {
  ".m3u8": "application/vnd.apple.mpegurl",
  ".ts": "video/mp2t",
  ".jpg": "image/jpeg",
};

// Keys are versioned and never rewritten once referenced, so caches may keep them forever.
const IMMUTABLE = "public, max-age=31536000, immutable";

/** Above this, lib-storage's multipart upload (parallel 8 MiB parts) instead of one PUT. */
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const CONCURRENCY = 8;

export interface PublishTarget {
  s3: S3Client;
  bucket: string;
  videoId: string;
  version: number;
}

/** The object key of a file of a version, e.g. `videos/{id}/v{n}/240p/seg-00000.ts`. */
export function mediaKey(videoId: string, version: number, relativePath: string): string {
  return `${MediaKeys.prefix(videoId, version)}${relativePath}`;
}

/**
 * Uploads a finished ladder. Segments, rendition playlists and stills go first, in parallel;
 * the master playlist goes last and alone, so no master ever names a rendition that is not
 * completely stored (a crash before it leaves only unreferenced objects, overwritten on retry).
 */
export async function publishLadder(
  target: PublishTarget,
  outDir: string,
  files: readonly string[],
  master: string,
): Promise<void> {
  const queue = [...files];
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await putFile(target, join(outDir, file), mediaKey(target.videoId, target.version, file));
    }
  });
  await Promise.all(workers);
  await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: MediaKeys.master(target.videoId, target.version),
      Body: master,
      ContentType: CONTENT_TYPES[".m3u8"],
      CacheControl: IMMUTABLE,
    }),
  );
}

async function putFile(target: PublishTarget, path: string, key: string): Promise<void> {
  const ext = path.slice(path.lastIndexOf("."));
  const params = {
    Bucket: target.bucket,
    Key: key,
    ContentType: CONTENT_TYPES[ext] ?? "application/octet-stream",
    CacheControl: IMMUTABLE,
  };
  const { size } = await stat(path);
  if (size > MULTIPART_THRESHOLD) {
    await new Upload({
      client: target.s3,
      params: { ...params, Body: createReadStream(path) },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
    return;
  }
  await target.s3.send(
    new PutObjectCommand({ ...params, Body: createReadStream(path), ContentLength: size }),
  );
}
