import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Hono } from "hono";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { IMMUTABLE_CACHE_CONTROL, parseMediaKey } from "../../contracts/media.schema";
import { requireInternal } from "./internal-auth";

export interface MediaRouteOptions {
  s3: S3Client;
  bucket: string;
  /** ORIGIN_SHARED_SECRET: only the edge pulls from here; clients go through its caches. */
  sharedSecret: string;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/**
 * `GET /media/{key}`: the edge's origin-pull of one media object from the S3 store, whole or by
 * a single `Range`. Keys are validated with the same grammar the edge uses.
 */
export function mediaRoute(options: MediaRouteOptions): Hono {
  return new Hono().get("/media/*", requireInternal(options.sharedSecret), async (c) => {
    const media = parseMediaKey(new URL(c.req.url).pathname.slice("/media/".length));
    if (!media) {
      return c.json(errorBody(ErrorCode.MediaBadPath, "path: not a media object key"), 400);
    }
    const range = c.req.header("range");
    try {
      const object = await options.s3.send(
        new GetObjectCommand({
          Bucket: options.bucket,
          Key: media.key,
          Range: range && /^bytes=\d*-\d*$/.test(range) ? range : undefined,
        }),
      );
      const headers = new Headers({
        "content-type": media.contentType,
        "cache-control": IMMUTABLE_CACHE_CONTROL,
        "accept-ranges": "bytes",
      });
      if (object.ETag) headers.set("etag", object.ETag);
      if (object.ContentLength !== undefined) {
        headers.set("content-length", String(object.ContentLength));
      }
      if (object.ContentRange) headers.set("content-range", object.ContentRange);
      return new Response(object.Body?.transformToWebStream() ?? null, {
        status: object.ContentRange ? 206 : 200,
        headers,
      });
    } catch (error) {
      if (errorName(error) === "NoSuchKey") {
        return c.json(errorBody(ErrorCode.MediaNotFound, `path: no object ${media.key}`), 404);
      }
      if (errorName(error) === "InvalidRange") {
        return c.json(errorBody(ErrorCode.InvalidField, "range: not satisfiable"), 416);
      }
      throw error;
    }
  });
}
