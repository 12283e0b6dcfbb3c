import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { IMMUTABLE_CACHE_CONTROL, type MediaObject } from "../../contracts/media.schema";
import { withDeadline } from "../../worker-lib/deadline";

export type MediaTier = "edge-cache" | "r2" | "origin";

export interface MediaHit {
  body: ArrayBuffer;
  contentType: string;
  etag: string;
  tier: MediaTier;
}

export type MediaEnv = Pick<Env, "VIDEOS" | "ORIGIN_URL" | "ORIGIN_SHARED_SECRET">;

export class MediaUnavailableError extends Error {
  override name = "MediaUnavailableError";
}

const ORIGIN_DEADLINE_MS = 10_000;
/**
 * How long the edge remembers that the origin had no such object. Feed pages only list live
 * videos, whose objects are all written before they go live, so a miss is a bad link or a
 * scanner; without this, each repeat of it costs an origin request (50 misses were 50).
 */
export const MEDIA_MISS_TTL_S = 30;

/** The Cache API key of a media object: its public URL on this edge, without query or headers. */
export function mediaCacheKey(cacheOrigin: string, key: string): Request {
  return new Request(`${cacheOrigin}/v1/${key}`);
}

/** Where a known miss is remembered: a path no public route serves, so it is never a body. */
function missCacheKey(cacheOrigin: string, key: string): Request {
  return new Request(`${cacheOrigin}/v1/media-misses/${key}`);
}

/**
 * One media object from the cheapest tier that has it: the data centre's cache, then the R2
 * bucket, then the origin (which reads the S3 store). A lower tier's hit is written into every
 * tier above it through `defer` (ctx.waitUntil), so the next request stops one tier earlier.
 * Bodies are read whole: HLS segments are a few hundred KB, and a whole body is what both the
 * cache write and a Range slice need. Null when no tier has the object; throws
 * MediaUnavailableError when the origin cannot be asked.
 */
export async function loadMedia(
  env: MediaEnv,
  media: MediaObject,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<MediaHit | null> {
  const cache = caches.default;
  const cacheKey = mediaCacheKey(cacheOrigin, media.key);
  const cached = await cache.match(cacheKey);
  if (cached) {
    return {
      body: await cached.arrayBuffer(),
      contentType: cached.headers.get("content-type") ?? media.contentType,
      etag: cached.headers.get("etag") ?? "",
      tier: "edge-cache",
    };
  }

  const object = await env.VIDEOS.get(media.key);
  if (object) {
    const hit: MediaHit = {
      body: await object.arrayBuffer(),
      contentType: object.httpMetadata?.contentType ?? media.contentType,
      etag: object.httpEtag,
      tier: "r2",
    };
    defer(cache.put(cacheKey, cacheEntry(hit)));
    return hit;
  }

  const missKey = missCacheKey(cacheOrigin, media.key);
  if (await cache.match(missKey)) return null;

  let response: Response;
  try {
    response = await withDeadline(
      fetch(new URL(`/media/${media.key}`, env.ORIGIN_URL), {
        headers: { [INTERNAL_AUTH_HEADER]: env.ORIGIN_SHARED_SECRET },
      }),
      ORIGIN_DEADLINE_MS,
      "origin media",
    );
  } catch (error) {
    throw new MediaUnavailableError(error instanceof Error ? error.message : String(error));
  }
  if (response.status === 404) {
    await response.body?.cancel();
    defer(
      cache.put(
        missKey,
        new Response(null, { headers: { "cache-control": `max-age=${MEDIA_MISS_TTL_S}` } }),
      ),
    );
    return null;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new MediaUnavailableError(`origin answered ${response.status}`);
  }
  const hit: MediaHit = {
    body: await response.arrayBuffer(),
    contentType: media.contentType,
    etag: response.headers.get("etag") ?? "",
    tier: "origin",
  };
  defer(
    env.VIDEOS.put(media.key, hit.body.slice(0), {
      httpMetadata: { contentType: hit.contentType, cacheControl: IMMUTABLE_CACHE_CONTROL },
    }),
  );
  defer(cache.put(cacheKey, cacheEntry(hit)));
  return hit;
}

function cacheEntry(hit: MediaHit): Response {
  return edgeCacheEntry(hit.body.slice(0), hit.contentType, hit.etag);
}

/** What the edge cache stores for a media object; `body` may be an R2 stream, never read here. */
export function edgeCacheEntry(body: BodyInit, contentType: string, etag: string): Response {
  const headers = new Headers({
    "content-type": contentType,
    "cache-control": IMMUTABLE_CACHE_CONTROL,
  });
  if (etag) headers.set("etag", etag);
  return new Response(body, { headers });
}
