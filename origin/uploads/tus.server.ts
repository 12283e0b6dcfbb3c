import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { DeleteObjectsCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3Store } from "@tus/s3-store";
import { Server } from "@tus/server";
import type { Redis } from "ioredis";
import * as v from "valibot";
import { describeIssue, ErrorCode, errorBody } from "../../contracts/error.schema";
import { OriginalKeys, UploadStreams } from "../../contracts/keyspace";
import { UserIdSchema } from "../../contracts/session.schema";
import {
  InternalHeaders,
  UploadMetadataSchema,
  VIDEO_ID_HEADER,
} from "../../contracts/upload.schema";
import { CatalogStore, pendingRecord } from "../catalog/catalog.store";
import type { S3Config } from "../config/config";
import { enqueueTranscode } from "../transcode/transcode.queue";
import { RedisLocker } from "./redis-locker";

export interface UploadsOptions {
  redis: Redis;
  s3: S3Client;
  s3Config: S3Config;
  /** Where tus is mounted on the origin, e.g. `/uploads`. */
  path: string;
  maxBytes: number;
  jobsStream?: string;
}

/** Upload ids are video ids: 16 url-safe characters, unguessable. */
function newVideoId(): string {
  return randomBytes(12).toString("base64url");
}

/** An error tus sends as it is: our JSON body with its status. */
function reject(status: number, code: ErrorCode, message: string) {
  return { status_code: status, body: JSON.stringify(errorBody(code, message)) };
}

/**
 * The tus server on the origin. Originals are stored by `@tus/s3-store` under
 * `originals/{videoId}` (the tus id carries the prefix; URLs show only the video id). Creating an
 * upload creates the catalog entry (`uploading`); finishing it hashes the original, answers a
 * byte-identical re-upload with the existing video's id, and otherwise queues the transcode.
 */
export function createTusServer(options: UploadsOptions): Server {
  const catalog = new CatalogStore(options.redis);
  const { bucket, ...clientConfig } = options.s3Config;
  const store = new S3Store({
    s3ClientConfig: {
      bucket,
      endpoint: clientConfig.endpoint,
      region: clientConfig.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: clientConfig.accessKeyId,
        secretAccessKey: clientConfig.secretAccessKey,
      },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    },
  });

  return new Server({
    path: options.path,
    datastore: store,
    // The api role runs one process per core: a resumed upload may land on any of them.
    locker: new RedisLocker(options.redis),
    exposedHeaders: [VIDEO_ID_HEADER],
    namingFunction: () => OriginalKeys.original(newVideoId()),
    generateUrl: (req, { proto, host, path, id }) => {
      const videoId = id.slice(OriginalKeys.prefix.length);
      const base = req.headers.get(InternalHeaders.uploadBase);
      return base
        ? `${base.replace(/\/$/, "")}/${videoId}`
        : `${proto}://${host}${path}/${videoId}`;
    },
    getFileIdFromRequest: (_req, lastPath) =>
      lastPath && /^[A-Za-z0-9_-]{1,64}$/.test(lastPath)
        ? OriginalKeys.original(lastPath)
        : undefined,

    async onUploadCreate(req, upload) {
      const creator = v.safeParse(UserIdSchema, req.headers.get(InternalHeaders.userId));
      if (!creator.success) {
        throw reject(401, ErrorCode.Unauthorized, `${InternalHeaders.userId}: missing or invalid`);
      }
      if (upload.size === undefined) {
        throw reject(
          400,
          ErrorCode.InvalidField,
          "Upload-Length: required (deferred length is not supported)",
        );
      }
      if (upload.size === 0) {
        // Before the catalog entry: an empty file would otherwise finish at once and fail in S3.
        throw reject(400, ErrorCode.InvalidField, "Upload-Length: the file is empty");
      }
      if (upload.size > options.maxBytes) {
        throw reject(
          413,
          ErrorCode.UploadTooLarge,
          `Upload-Length: the file is ${formatMb(upload.size)}; the limit is ${formatMb(options.maxBytes)}`,
        );
      }
      const metadata = v.safeParse(UploadMetadataSchema, upload.metadata ?? {});
      if (!metadata.success) {
        throw reject(
          400,
          ErrorCode.InvalidField,
          `Upload-Metadata: ${describeIssue(metadata.issues)}`,
        );
      }
      const m = metadata.output;
      await catalog.create(
        pendingRecord({
          id: upload.id.slice(OriginalKeys.prefix.length),
          creator_id: creator.output,
          caption: m.caption,
          hashtags: m.hashtags,
          audio_id: m.audio_id,
          language: m.language,
        }),
        { original_key: upload.id },
      );
      return {};
    },

    onResponseError(req, error) {
      // A PATCH that raced the final one (a retry while the finish hook still runs, before the
      // catalog says so) finds the multipart upload already completed; the bytes are all in.
      if (req.method === "PATCH" && error instanceof Error && error.name === "NoSuchUpload") {
        return reject(
          409,
          ErrorCode.UploadFinished,
          "upload is finished or terminated: it takes no more bytes",
        );
      }
      return undefined;
    },

    async onUploadFinish(_req, upload) {
      const videoId = upload.id.slice(OriginalKeys.prefix.length);
      const sha256 = await hashObject(options.s3, bucket, upload.id);
      const creatorId = (await catalog.get(videoId))?.creator_id ?? "";
      const existing = await catalog.claimDigest(creatorId, sha256, videoId);
      if (existing) {
        // Same bytes as the creator's earlier upload: that video is the answer; this copy goes.
        await options.s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: [{ Key: upload.id }, { Key: `${upload.id}.info` }] },
          }),
        );
        await catalog.remove(videoId);
        return { headers: { [VIDEO_ID_HEADER]: existing } };
      }
      await catalog.setStatus(videoId, "processing", { progress: 0 });
      await enqueueTranscode(options.redis, options.jobsStream ?? UploadStreams.jobs, {
        video_id: videoId,
        original_key: upload.id,
      });
      return { headers: { [VIDEO_ID_HEADER]: videoId } };
    },
  });
}

async function hashObject(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(object.Body instanceof Readable)) throw new Error(`original ${key} has no body`);
  const hash = createHash("sha256");
  for await (const chunk of object.Body) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function formatMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
